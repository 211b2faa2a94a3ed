package ratelimit

import (
	"context"
	"errors"
	"testing"
	"time"

	"openbank/services/graphql-endpoint/internal/app/client"
)

func TestLimiterRefills(t *testing.T) {
	l := New(60, 2) // one a second
	now := time.Unix(0, 0)
	l.SetClock(func() time.Time { return now })
	for i, want := range []bool{true, true, false} {
		if got := l.Allow("a"); got != want {
			t.Fatalf("call %d of a burst of 2: %v", i+1, got)
		}
	}
	if !l.Allow("b") {
		t.Error("another key shares the bucket")
	}
	now = now.Add(time.Second)
	first, second := l.Allow("a"), l.Allow("a")
	if !first || second {
		t.Errorf("a second later: %v, %v; want one token", first, second)
	}
	if New(0, 5) != nil || !(*Limiter)(nil).Allow("x") {
		t.Error("a rate of 0 is not 'no limit'")
	}
}

// TestPasswordsChargeBoth: a username's budget holds against many clients,
// a client's against many usernames; a refusal by the username's bucket
// gives the client its token back.
func TestPasswordsChargeBoth(t *testing.T) {
	p := &Passwords{PerClient: New(1, 2), PerUsername: New(1, 1)}
	ctx := func(c string) context.Context { return client.With(context.Background(), c) }
	if err := p.Charge(ctx("a"), "anna"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"b", "c", "d"} {
		if err := p.Charge(ctx(c), "anna"); !errors.Is(err, ErrLimited) {
			t.Errorf("client %s on anna after her one try: %v", c, err)
		}
	}
	if err := p.Charge(ctx("b"), "bert"); err != nil {
		t.Errorf("client b's tokens were taken by refusals: %v", err)
	}
	if err := p.Charge(ctx("a"), "carl"); err != nil {
		t.Errorf("client a's second: %v", err)
	}
	if err := p.Charge(ctx("a"), "dora"); !errors.Is(err, ErrLimited) {
		t.Errorf("client a's third within the minute: %v", err)
	}
	if err := (*Passwords)(nil).Charge(ctx("a"), "x"); err != nil {
		t.Errorf("nil Passwords: %v", err)
	}
}
