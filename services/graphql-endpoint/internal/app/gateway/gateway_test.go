package gateway

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

	"openbank/messaging"
	"openbank/services/graphql-endpoint/internal/app/client"
	"openbank/services/graphql-endpoint/internal/app/ratelimit"
	"openbank/services/graphql-endpoint/internal/domain/transaction"
	"openbank/services/graphql-endpoint/internal/domain/transfer"
	"openbank/topology"
	"openbank/topology/ident"
	"openbank/topology/records"
)

// newTestGateway is the gateway over the in-memory store, with a command
// handler that answers every command as answer says.
func newTestGateway(answer func(messaging.Message) []messaging.Delivery) (*Gateway, *memStore, *answeringSender, *published) {
	st, producer, pub := newMemStore(), &answeringSender{answer: answer}, &published{}
	g := New(st, producer, pub, Options{FeedbackTimeout: 5 * time.Second, StreamSince: time.Now().Add(-time.Minute)},
		slog.New(slog.DiscardHandler))
	producer.g = g
	return g, st, producer, pub
}

func confirmAccounts(m messaging.Message) []messaging.Delivery {
	c, ok := m.Record.(*records.ConfirmAccountCreation)
	if !ok {
		return nil
	}
	return []messaging.Delivery{{Record: &records.AccountCreationConfirmed{ID: c.ID, IBAN: "NL66OPEN0000000001", Token: "secret"}}}
}

func TestGetAccountRules(t *testing.T) {
	ctx := context.Background()
	g, _, producer, _ := newTestGateway(confirmAccounts)
	if r, err := g.GetAccount(ctx, "anna", "password", Login); err != nil || r.Reason != ReasonIncorrectLogin {
		t.Errorf("login of an unknown user: %+v %v", r, err)
	}
	if producer.count() != 0 {
		t.Error("a login sent a command")
	}
	r, err := g.GetAccount(ctx, "anna", "password", Open)
	if err != nil || r.IBAN != "NL66OPEN0000000001" || r.Token != "secret" || r.Reason != "" {
		t.Fatalf("open_account: %+v %v", r, err)
	}
	for name, c := range map[string]struct {
		password string
		mode     Mode
		reason   string
	}{
		"login":                          {"password", Login, ""},
		"get_account again":              {"password", OpenOrLogin, ""},
		"login, wrong password":          {"nope-nope", Login, ReasonIncorrectLogin},
		"get_account, old password":      {"nope-nope", OpenOrLogin, ReasonIncorrectPassword},
		"open_account, right password":   {"password", Open, ReasonUsernameTaken},
		"open_account, wrong password":   {"nope-nope", Open, ReasonUsernameTaken},
		"open_account, a short password": {"x", Open, ReasonUsernameTaken},
	} {
		r, err := g.GetAccount(ctx, "anna", c.password, c.mode)
		if err != nil || r.Reason != c.reason || (c.reason == "") != (r.IBAN == "NL66OPEN0000000001") {
			t.Errorf("%s: %+v %v", name, r, err)
		}
	}
	if n := producer.count(); n != 1 {
		t.Errorf("%d commands sent, want 1 (the one creation)", n)
	}
	for _, mode := range []Mode{Open, OpenOrLogin} {
		if _, err := g.GetAccount(ctx, "bert", "1234567", mode); !errors.Is(err, ErrPasswordTooShort) {
			t.Errorf("a new account with a 7-character password (mode %d): %v", mode, err)
		}
	}
}

// TestPasswordHashesAreCharged: each hash is charged to the client and to
// the username; open_account on a taken name costs no hash (the per-username
// budget is untouched) but is charged to the client.
func TestPasswordHashesAreCharged(t *testing.T) {
	g, _, _, _ := newTestGateway(confirmAccounts)
	g.opts.Passwords = &ratelimit.Passwords{PerClient: ratelimit.New(1, 3), PerUsername: ratelimit.New(1, 2)}
	a := client.With(context.Background(), "203.0.113.1")
	b := client.With(context.Background(), "203.0.113.2")
	if r, err := g.GetAccount(a, "carla", "password", Open); err != nil || r.IBAN == "" { // hash 1 of carla, 1 of a
		t.Fatalf("open: %+v %v", r, err)
	}
	if r, err := g.GetAccount(a, "carla", "whatever", Open); err != nil || r.Reason != ReasonUsernameTaken { // a: 2
		t.Fatalf("open a taken name: %+v %v", r, err)
	}
	if _, err := g.GetAccount(b, "carla", "guess-one", Login); err != nil { // carla: 2, b: 1
		t.Fatalf("first guess: %v", err)
	}
	if _, err := g.GetAccount(b, "carla", "guess-two", Login); !errors.Is(err, ratelimit.ErrLimited) {
		t.Errorf("a third hash for one username within the minute: %v", err)
	}
	if _, err := g.GetAccount(a, "dora", "guess-one", Login); err != nil { // a: 3
		t.Errorf("another username from client a: %v", err)
	}
	if _, err := g.GetAccount(a, "erik", "guess-one", Login); !errors.Is(err, ratelimit.ErrLimited) {
		t.Errorf("a fourth charge to one client within the minute: %v", err)
	}
}

func TestTheLastHashOutGivesItsMemoryBack(t *testing.T) {
	g, _, _, _ := newTestGateway(confirmAccounts)
	done := 0
	g.opts.HashesDone = func() { done++ }
	ctx := context.Background()
	if err := g.acquireHashSlot(ctx); err != nil { // another hash is running
		t.Fatal(err)
	}
	if r, err := g.GetAccount(ctx, "carla", "password", Open); err != nil || r.IBAN == "" {
		t.Fatalf("open: %+v %v", r, err)
	}
	if done != 0 {
		t.Fatalf("HashesDone ran %d times while another hash was running", done)
	}
	g.releaseHashSlot()
	if done != 1 {
		t.Fatalf("HashesDone ran %d times after the last hash, want 1", done)
	}
	if _, err := g.GetAccount(ctx, "carla", "wrong", Login); err != nil {
		t.Fatal(err)
	}
	if done != 2 {
		t.Errorf("HashesDone ran %d times after a login's hash, want 2", done)
	}
}

func TestFailedCreationFreesTheUsername(t *testing.T) {
	ctx := context.Background()
	fail := true
	g, st, _, _ := newTestGateway(func(m messaging.Message) []messaging.Delivery {
		c := m.Record.(*records.ConfirmAccountCreation)
		if fail {
			return []messaging.Delivery{{Record: &records.AccountCreationFailed{ID: c.ID, Reason: "no iban free"}}}
		}
		return confirmAccounts(m)
	})
	if r, err := g.GetAccount(ctx, "bob", "password", OpenOrLogin); err != nil || r.Reason != "no iban free" {
		t.Fatalf("failed creation: %+v %v", r, err)
	}
	if _, ok, _ := st.AccountByUsername(ctx, "bob"); ok {
		t.Error("the failed account's row stayed")
	}
	fail = false
	if r, err := g.GetAccount(ctx, "bob", "other-password", Open); err != nil || r.IBAN == "" {
		t.Errorf("the username after a failed creation: %+v %v", r, err)
	}
}

func TestMoneyTransferAnswersARepeatFromTheStore(t *testing.T) {
	ctx := context.Background()
	g, _, producer, _ := newTestGateway(func(m messaging.Message) []messaging.Delivery {
		c := m.Record.(*records.ConfirmMoneyTransfer)
		return []messaging.Delivery{{Record: &records.MoneyTransferFailed{ID: c.ID, Reason: "insufficient funds"}}}
	})
	cmd := transfer.Command{ID: ident.NewCommandID(), Token: "t", Amount: 100, From: "NL66OPEN0000000001",
		To: "NL66OPEN0000000002", Descr: "rent"}
	for i := range 2 {
		r, err := g.MoneyTransfer(ctx, cmd)
		if err != nil || r.Success || r.Reason != "insufficient funds" {
			t.Errorf("try %d: %+v %v", i, r, err)
		}
	}
	if n := producer.count(); n != 1 {
		t.Errorf("%d commands sent, want 1: a repeat gets the stored answer", n)
	}
}

// HandleBalanceChanged stores each change once, in (partition, offset)
// order with its place, and hands what it stored on to its own subscribers
// when the batch continues where the stream is; Follow streams the rest
// (another instance's rows, a batch after a gap) once, and a redelivery is
// neither stored nor streamed again.
func TestStoreOnceAndStream(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	st, pub := newMemStore(), &published{}
	// Partition 0 is streamed up to offset 4 and 1 up to 6 at the start; the
	// hour-long poll leaves Follow to kicks alone.
	g := New(st, &answeringSender{}, pub, Options{StreamSince: time.Now().Add(-time.Minute),
		StreamFrom: map[int32]int64{0: 4, 1: 6}, PollInterval: time.Hour}, slog.New(slog.DiscardHandler))
	now := time.Now()
	iban := "NL66OPEN0000000001"
	change := func(p int32, o int64, cmd string) messaging.Delivery {
		d := messaging.Delivery{Topic: topology.TopicBalanceChanged, Partition: p, Offset: o, Timestamp: now,
			Record: &records.BalanceChanged{IBAN: iban, NewBalance: o, ChangedBy: 1}}
		if cmd != "" {
			d.Headers = []messaging.Header{messaging.CommandIDHeader(cmd)}
		}
		return d
	}
	streamed := func() []string {
		var cmds []string
		for _, tx := range pub.all() {
			if tx.ID == 0 {
				t.Errorf("%s streamed without its row id", tx.CommandID)
			}
			cmds = append(cmds, tx.CommandID)
		}
		return cmds
	}
	waitFor := func(n int) {
		for deadline := time.Now().Add(5 * time.Second); len(pub.all()) < n && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond) // nothing more comes
	}

	// The notification of its own insert can come before the insert returns:
	// it must not cost a read either.
	st.committed = func([]transaction.Transaction) {
		if g.Behind(map[int32]int64{0: 6, 1: 8}) {
			t.Error("behind while storing the rows itself: its own notification would cost a read")
		}
	}
	batch := []messaging.Delivery{change(1, 8, "c3"), change(0, 5, "c1"), change(1, 7, "c2"), change(0, 6, "")}
	if err := g.HandleBalanceChanged(ctx, batch); err != nil {
		t.Fatal(err)
	}
	st.committed = nil
	var cmds []string
	for _, tx := range st.txs {
		cmds = append(cmds, tx.CommandID)
	}
	if want := []string{"c1", topology.TopicBalanceChanged + "/0/6", "c2", "c3"}; !slices.Equal(cmds, want) {
		t.Errorf("stored %v, want %v: in (partition, offset) order", cmds, want)
	}
	if st.progress[0] != 7 || st.progress[1] != 9 {
		t.Errorf("progress %v, want the next offset per partition", st.progress)
	}
	if got, want := streamed(), []string{"c1", topology.TopicBalanceChanged + "/0/6", "c2", "c3"}; !slices.Equal(got, want) {
		t.Errorf("handed on %v, want %v: what this instance stored, without reading it back", got, want)
	}
	select {
	case <-g.kick:
		t.Error("Follow was kicked for rows already handed on")
	default:
	}
	if g.Behind(map[int32]int64{0: 6, 1: 8}) {
		t.Error("behind after handing on: its own notification would cost a read")
	}

	go g.Follow(ctx)
	// Another instance stores partition 2; its notification says so.
	if _, err := st.AddTransactions(ctx, []transaction.Transaction{{CommandID: "by-other", IBAN: iban, Partition: 2, Offset: 1}}, nil); err != nil {
		t.Fatal(err)
	}
	if !g.Behind(map[int32]int64{2: 1}) {
		t.Fatal("not behind another instance's rows")
	}
	g.Kick()
	waitFor(5)
	// A redelivery of c1 adds and streams nothing; a batch of partition 3
	// begins after a gap (its earlier rows unknown here): Follow reads it.
	if err := g.HandleBalanceChanged(ctx, []messaging.Delivery{batch[1]}); err != nil {
		t.Fatal(err)
	}
	if err := g.HandleBalanceChanged(ctx, []messaging.Delivery{change(3, 40, "after-gap")}); err != nil {
		t.Fatal(err)
	}
	waitFor(6)
	want := []string{"c1", topology.TopicBalanceChanged + "/0/6", "c2", "c3", "by-other", "after-gap"}
	if got := streamed(); !slices.Equal(got, want) {
		t.Errorf("streamed %v, want %v: each row after the cursor once, partition by partition", got, want)
	}
	if len(st.txs) != 6 {
		t.Errorf("%d rows, want 6: a redelivery is not stored again", len(st.txs))
	}
}
