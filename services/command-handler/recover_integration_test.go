//go:build integration

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"openbank/messaging"
	"openbank/messaging/messagingtest"
	"openbank/services/command-handler/internal/adapters/balancedb"
	"openbank/services/command-handler/internal/app/commands"
	"openbank/topology"
	"openbank/topology/records"
)

// lostPublisher is Kafka failing a batch's events after the database commit:
// nothing it is given is published.
type lostPublisher struct{}

func (lostPublisher) Send(context.Context, ...messaging.Message) error {
	return errors.New("the instance died before Kafka acknowledged the events")
}

func (p lostPublisher) SendAsync(ctx context.Context, msgs ...messaging.Message) (func(context.Context) error, error) {
	return func(ctx context.Context) error { return p.Send(ctx, msgs...) }, nil
}

func (lostPublisher) SendRaw(context.Context, ...messaging.RawMessage) error { return nil }

// doomedHandler is an instance of the handler in this process whose events
// never reach Kafka, as one killed after its database commit.
func doomedHandler(t *testing.T) *commands.Handler {
	t.Helper()
	get := func(k, def string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return def
	}
	port, err := strconv.Atoi(get("DB_PORT", "5432"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := balancedb.Open(context.Background(), balancedb.Config{Host: get("DB_HOSTNAME", "localhost"), Port: port,
		User: get("DB_USER", "command_handler"), Password: os.Getenv("DB_PASSWORD"),
		Database: get("DB_NAME", "balancedb"), SSLMode: "disable"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return commands.New(st, lostPublisher{}, topology.TopicCommandsDeadLetter, stackKeyed(t),
		commands.NewMetrics(nil), messagingtest.Log(t))
}

// An instance decides commands on an account, stores them, and dies before
// their events are published; more commands on the account follow, spread
// over every partition. The next instance must publish the account's
// BalanceChanged events in the order of its balances: the dead instance's
// (re-sent) before any it decides itself, although their records sit in
// partitions it may well read later than others.
func TestEventsOfADeadInstanceComeFirst(t *testing.T) {
	h, port := startHandler(t)
	b := newBank(t, topology.TopicCommands)
	iban, token := b.openAccount()
	if err := h.Stop(10 * time.Second); err != nil {
		t.Fatalf("stop: %v", err)
	}

	deposits := func(n int, what string) ([]uuid.UUID, []messaging.Message) {
		var ids []uuid.UUID
		var msgs []messaging.Message
		for i := range n {
			id := uuid.New()
			ids = append(ids, id)
			msgs = append(msgs, transferCommand(id, "cash", int64(100+i), "cash", iban, what))
		}
		return ids, msgs
	}
	// Decided by the doomed instance, in one batch, as read from Kafka.
	oldIDs, old := deposits(24, "decided, never published")
	b.send(old...)
	var batch []messaging.Delivery
	for _, id := range oldIDs {
		batch = append(batch, b.tail.WaitFor(t, 30*time.Second, func(d messaging.Delivery) bool {
			return d.Topic == topology.TopicCommands && string(d.Key) == id.String()
		}))
	}
	if err := doomedHandler(t).Handle(context.Background(), batch); err == nil {
		t.Fatal("the doomed instance published its events")
	}
	_, later := deposits(48, "decided by the next instance")
	b.send(later...)
	// A withdrawal, so a debit is in the history too.
	b.send(transferCommand(uuid.New(), token, 7, iban, "cash", "withdrawal"))

	h.Restart()
	h.WaitReady(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", port))
	want := balanceAfter(t, iban)
	// The first copy of each event, in the order they reach the topic, must
	// step from balance to balance.
	events := func() []*records.BalanceChanged {
		return distinctChanges(b.tail.All(func(d messaging.Delivery) bool {
			return d.Topic == topology.TopicBalanceChanged && d.Record.(*records.BalanceChanged).IBAN == iban
		}))
	}
	all := len(old) + len(later) + 1 // and the withdrawal
	b.tail.WaitFor(t, 60*time.Second, func(messaging.Delivery) bool { return len(events()) >= all })
	var balance int64
	for i, bc := range events() {
		if bc.NewBalance != balance+bc.ChangedBy {
			t.Fatalf("event %d of %d on %s: new_balance %d after %d changed by %d: out of order", i+1, all, iban,
				bc.NewBalance, balance, bc.ChangedBy)
		}
		balance = bc.NewBalance
	}
	if balance != want {
		t.Errorf("the events end at %d, the account holds %d", balance, want)
	}
}

// balanceAfter waits until the group has handled every command on the
// commands topic and returns the account's balance.
func balanceAfter(t *testing.T, iban string) int64 {
	t.Helper()
	admin, err := messaging.NewAdmin(messagingtest.Kafka(t), messagingtest.Log(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	lag := func() (int64, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		marks, err := admin.Watermarks(ctx, topology.TopicCommands)
		if err != nil {
			return 0, err
		}
		committed, err := admin.Committed(ctx, group, topology.TopicCommands)
		if err != nil {
			return 0, err
		}
		var n int64
		for p, w := range marks {
			n += w.High - max(committed[p], w.Low)
		}
		return n, nil
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		n, err := lag()
		if err == nil && n == 0 {
			return balance(t, db(t), iban)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the handler did not catch up within 2 minutes: lag %d, %v", n, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
