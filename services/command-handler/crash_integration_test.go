//go:build integration

package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"openbank/messaging"
	"openbank/messaging/messagingtest"
	"openbank/topology"
	"openbank/topology/ident"
	"openbank/topology/records"
)

// feedbacks are every feedback record seen for id, redeliveries included.
func (b *bankClient) feedbacks(id uuid.UUID) []records.Record {
	var out []records.Record
	for _, d := range b.tail.All(func(d messaging.Delivery) bool {
		return isFeedback(d) && d.Header(topology.HeaderCommandID) == id.String()
	}) {
		out = append(out, d.Record)
	}
	return out
}

// stream is a set of commands on a few fresh accounts whose outcome can be
// checked against the database and the events.
type stream struct {
	accounts map[string]string // iban -> token
	ibans    []string
	msgs     []messaging.Message
	ids      []uuid.UUID
	kind     map[uuid.UUID]string // "deposit", "withdrawal", "transfer"
	amount   map[uuid.UUID]int64
}

func newStream(t *testing.T, b *bankClient, accounts, commands int, seed uint64) *stream {
	s := &stream{accounts: map[string]string{}, kind: map[uuid.UUID]string{}, amount: map[uuid.UUID]int64{}}
	for range accounts {
		iban, token := b.openAccount()
		s.accounts[iban] = token
		s.ibans = append(s.ibans, iban)
	}
	rnd := rand.New(rand.NewPCG(seed, 1))
	for i := range commands {
		id := uuid.New()
		from := s.ibans[rnd.IntN(len(s.ibans))]
		to := s.ibans[rnd.IntN(len(s.ibans))]
		amount := 1 + rnd.Int64N(20_000)
		var m messaging.Message
		switch {
		case i%10 == 0 || i < accounts:
			s.kind[id] = "deposit"
			m = transferCommand(id, "cash", amount, "cash", s.ibans[i%len(s.ibans)], "deposit")
		case i%15 == 0:
			s.kind[id] = "withdrawal"
			m = transferCommand(id, s.accounts[from], amount, from, "cash", "withdrawal")
		default:
			s.kind[id] = "transfer" // from == to fails, as it should
			m = transferCommand(id, s.accounts[from], amount, from, to, "transfer")
		}
		s.amount[id] = amount
		s.ids = append(s.ids, id)
		s.msgs = append(s.msgs, m)
	}
	return s
}

// waitAnswered waits until every command of s has feedback.
func (s *stream) waitAnswered(t *testing.T, b *bankClient, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		n := len(s.answered(b))
		if n == len(s.ids) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d commands answered within %s", n, len(s.ids), timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// answered returns the feedback of each answered command of s, checking that
// redelivered copies are identical.
func (s *stream) answered(b *bankClient) map[uuid.UUID]records.Record {
	out := map[uuid.UUID]records.Record{}
	for _, d := range b.tail.All(isFeedback) {
		id, err := uuid.Parse(d.Header(topology.HeaderCommandID))
		if err != nil {
			b.t.Fatalf("feedback without a command id: %+v", d)
		}
		if _, ours := s.kind[id]; !ours {
			continue
		}
		if prev, ok := out[id]; ok && !reflect.DeepEqual(prev, d.Record) {
			b.t.Fatalf("command %s answered twice differently: %+v, %+v", id, prev, d.Record)
		}
		out[id] = d.Record
	}
	return out
}

// check verifies the books: money is conserved (balances sum to confirmed
// deposits minus confirmed withdrawals), no balance is below its limit, each
// balance equals the sum of its distinct BalanceChanged events, and every
// command was decided once.
func (s *stream) check(t *testing.T, b *bankClient) {
	t.Helper()
	conn := db(t)
	answers := s.answered(b)
	var want int64
	confirmed := 0
	for id, fb := range answers {
		if _, ok := fb.(*records.MoneyTransferConfirmed); !ok {
			continue
		}
		confirmed++
		switch s.kind[id] {
		case "deposit":
			want += s.amount[id]
		case "withdrawal":
			want -= s.amount[id]
		}
	}
	// One BalanceChanged per balance the database says changed; they may
	// arrive a little after the feedback.
	var changed int
	if err := conn.QueryRow(context.Background(),
		`SELECT count(from_balance) + count(to_balance) FROM command WHERE id = ANY($1)`, s.ids).Scan(&changed); err != nil {
		t.Fatal(err)
	}
	var events []*records.BalanceChanged
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		events = distinctChanges(b.tail.All(func(d messaging.Delivery) bool {
			_, ours := s.kind[uuid.MustParse(d.Header(topology.HeaderCommandID))]
			return d.Topic == topology.TopicBalanceChanged && ours
		}))
		if len(events) >= changed || time.Now().After(deadline) {
			break
		}
	}
	if len(events) != changed {
		t.Errorf("%d distinct BalanceChanged events for %d balance changes", len(events), changed)
	}
	fromEvents := map[string]int64{}
	for _, bc := range events {
		fromEvents[bc.IBAN] += bc.ChangedBy
	}
	var sum int64
	for _, iban := range s.ibans {
		got := balance(t, conn, iban)
		sum += got
		if got < -50_000 {
			t.Errorf("%s is below its limit: %d", iban, got)
		}
		if fromEvents[iban] != got {
			t.Errorf("%s: balance %d, BalanceChanged events sum to %d", iban, got, fromEvents[iban])
		}
	}
	if sum != want {
		t.Errorf("money not conserved: balances sum to %d, confirmed deposits minus withdrawals %d", sum, want)
	}
	var rows int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM command WHERE id = ANY($1)`, s.ids).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != len(s.ids) {
		t.Errorf("%d commands stored, want %d", rows, len(s.ids))
	}
	t.Logf("%d commands, %d confirmed; balances sum to %d", len(s.ids), confirmed, sum)
}

func TestTwoInstancesConserveMoney(t *testing.T) {
	_, port1 := startHandler(t)
	_, port2 := startHandler(t)
	b := newBank(t)
	s := newStream(t, b, 4, 1_500, 1)
	// In slices over a few seconds, so both instances, once the group has
	// rebalanced, work on the same accounts at the same time.
	for i := 0; i < len(s.msgs); i += 100 {
		b.send(s.msgs[i:min(i+100, len(s.msgs))]...)
		time.Sleep(200 * time.Millisecond)
	}
	s.waitAnswered(t, b, 60*time.Second)
	s.check(t, b)
	t.Logf("commands handled: instance 1 %v, instance 2 %v",
		metricSum(t, port1, "command_handler_commands_total"), metricSum(t, port2, "command_handler_commands_total"))
}

func TestKillMidStream(t *testing.T) {
	h, port := startHandler(t)
	b := newBank(t)
	s := newStream(t, b, 5, 2_000, 2)

	// Send in the background and kill the handler three times while commands
	// are in flight; it is busy all along, so the kills hit every stage. Then
	// stop it once with SIGTERM.
	sent := make(chan error, 1)
	go func() {
		for i := 0; i < len(s.msgs); i += 50 {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			err := b.p.Send(ctx, s.msgs[i:min(i+50, len(s.msgs))]...)
			cancel()
			if err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	// A kill a random moment after a feedback was seen lands now and then
	// between a batch's database commit and its offset commit.
	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	redelivered := 0.0
	for i, at := range []int{300, 900, 1_500, 1_800} {
		for deadline := time.Now().Add(60 * time.Second); len(s.answered(b)) < at; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("fewer than %d commands answered within a minute:\n%s", at, h.Output())
			}
		}
		time.Sleep(time.Duration(rnd.IntN(15_000)) * time.Microsecond)
		redelivered += metricSum(t, port, `command_handler_commands_total{result="redelivered"`)
		if i < 3 {
			h.Kill()
			t.Logf("killed with %d of %d commands answered", len(s.answered(b)), len(s.ids))
		} else {
			// The last time SIGTERM, while busy: the batch in hand is finished,
			// flushed and committed, within the 10 s a deployment allows.
			if err := h.Stop(10 * time.Second); err != nil {
				t.Errorf("SIGTERM while busy: %v\n%s", err, h.Output())
			}
			t.Logf("stopped with %d of %d commands answered", len(s.answered(b)), len(s.ids))
		}
		h.Restart()
		h.WaitReady(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", port))
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	s.waitAnswered(t, b, 120*time.Second)
	s.check(t, b)

	copies := len(b.tail.All(func(d messaging.Delivery) bool {
		_, ours := s.kind[uuid.MustParse(d.Header(topology.HeaderCommandID))]
		return isFeedback(d) && ours
	}))
	redelivered += metricSum(t, port, `command_handler_commands_total{result="redelivered"`)
	t.Logf("%d feedback records for %d commands (%d sent again after the kills, identical); %v commands found redelivered",
		copies, len(s.ids), copies-len(s.ids), redelivered)
	if err := h.Stop(10 * time.Second); err != nil {
		t.Errorf("stop after SIGTERM: %v\n%s", err, h.Output())
	}
}

// A crash between the database commit and the offset commit means the same
// records are read again: every stored event is sent again, identical, once
// (BalanceChanged: only when the partitions are assigned; the feedback then
// and for the redelivered record too), and nothing changes. Rewinding the group's offsets reproduces that exactly.
func TestRedeliveredCommandsAreAnsweredAgainUnchanged(t *testing.T) {
	h, port := startHandler(t)
	b := newBank(t, topology.TopicCommands)
	iban, token := b.openAccount()
	var ids []uuid.UUID
	var msgs []messaging.Message
	for _, m := range []messaging.Message{
		transferCommand(uuid.Nil, "cash", 5_000, "cash", iban, "deposit"),
		transferCommand(uuid.Nil, token, 1_500, iban, ident.OwnIBAN, "fee"),
		transferCommand(uuid.Nil, token, 100_000, iban, "cash", "too much"),
	} {
		id := uuid.New()
		ids = append(ids, id)
		m.Key = id.String()
		m.Record.(*records.ConfirmMoneyTransfer).ID = id
		msgs = append(msgs, m)
	}
	b.send(msgs...)
	for _, id := range ids {
		b.feedback(id)
	}
	if err := h.Stop(10 * time.Second); err != nil {
		t.Fatalf("stop: %v", err)
	}

	// Rewind the group to the first of these commands in each partition.
	rewind := map[int32]int64{}
	for _, id := range ids {
		d := b.tail.WaitFor(t, 10*time.Second, func(d messaging.Delivery) bool {
			return d.Topic == topology.TopicCommands && string(d.Key) == id.String()
		})
		if o, ok := rewind[d.Partition]; !ok || d.Offset < o {
			rewind[d.Partition] = d.Offset
		}
	}
	commitOffsets(t, rewind)
	before := balance(t, db(t), iban)

	h.Restart()
	h.WaitReady(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", port))
	for _, id := range ids {
		b.tail.WaitFor(t, 30*time.Second, func(messaging.Delivery) bool { return len(b.feedbacks(id)) >= 3 })
	}
	// Deposit and fee changed two balances in all; each change is sent again.
	b.tail.WaitFor(t, 30*time.Second, func(messaging.Delivery) bool {
		return len(b.tail.All(func(d messaging.Delivery) bool {
			return d.Topic == topology.TopicBalanceChanged && slices.Contains(ids, uuid.MustParse(d.Header(topology.HeaderCommandID)))
		})) >= 6
	})
	time.Sleep(200 * time.Millisecond) // a stray extra copy would show now
	for _, id := range ids {
		// Sent again when the partitions were assigned (recover.go) and for
		// the redelivered record.
		fbs := b.feedbacks(id)
		if len(fbs) != 3 || !reflect.DeepEqual(fbs[0], fbs[1]) || !reflect.DeepEqual(fbs[0], fbs[2]) {
			t.Errorf("command %s: feedbacks %+v, want three identical", id, fbs)
		}
		all := b.tail.All(func(d messaging.Delivery) bool {
			return d.Topic == topology.TopicBalanceChanged && d.Header(topology.HeaderCommandID) == id.String()
		})
		distinct := b.changes(id) // panics when copies differ
		if len(all) != 2*len(distinct) {
			t.Errorf("command %s: %d BalanceChanged records for %d changes, want each sent again", id, len(all), len(distinct))
		}
	}
	if got := balance(t, db(t), iban); got != before || got != 3_500 {
		t.Errorf("balance %d after redelivery (before %d), want 3500", got, before)
	}
	if n := metricSum(t, port, `command_handler_commands_total{result="redelivered"`); n < float64(len(ids)) {
		t.Errorf("%v commands counted as redelivered, want at least %d", n, len(ids))
	}
}

// commitOffsets sets this run's group's offsets in the commands topic.
func commitOffsets(t *testing.T, offsets map[int32]int64) {
	t.Helper()
	admin, err := messaging.NewAdmin(messagingtest.Kafka(t), messagingtest.Log(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	next := map[messaging.TopicPartition]int64{}
	for p, o := range offsets {
		next[messaging.TopicPartition{Topic: topology.TopicCommands, Partition: p}] = o
	}
	if err := admin.CommitOffsets(context.Background(), group, next); err != nil {
		t.Fatalf("rewind the group: %v", err)
	}
}
