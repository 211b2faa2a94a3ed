//go:build integration

package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"openbank/services/command-handler/internal/handler"
	"openbank/topology"
	shared "openbank/topology/bank"
	"openbank/topology/records"
	"openbank/topology/topologytest"
)

const external = "NL91ABNA0417164300" // another bank's iban

func TestCommandsEndToEnd(t *testing.T) {
	startHandler(t)
	b := newBank(t)
	conn := db(t)

	alice, aliceToken := b.openAccount()
	bob, bobToken := b.openAccount()
	for iban, token := range map[string]string{alice: aliceToken, bob: bobToken} {
		var gotToken, aType string
		var amount, lmt int64
		if err := conn.QueryRow(context.Background(), `SELECT token, amount, lmt, a_type FROM balance WHERE iban = $1`, iban).
			Scan(&gotToken, &amount, &lmt, &aType); err != nil {
			t.Fatal(err)
		}
		if !shared.ValidIBAN(iban) || len(token) != 20 || gotToken != token || amount != 0 || lmt != -50_000 || aType != records.AtypeManual {
			t.Fatalf("new account %s: token %q/%q amount %d limit %d type %s", iban, token, gotToken, amount, lmt, aType)
		}
	}
	unknown := shared.IBANFor("9999999999")
	if _, err := conn.Exec(context.Background(), `DELETE FROM balance WHERE iban = $1`, unknown); err != nil {
		t.Fatal(err)
	}

	type change struct {
		iban       string
		changedBy  int64
		fromTo     string
		newBalance int64 // checked unless the account is the bank's own
	}
	steps := []struct {
		name    string
		token   string
		amount  int64
		from    string
		to      string
		reason  string
		changes []change
	}{
		{"deposit", "cash", 10_000, "cash", alice, "", []change{{alice, 10_000, "cash", 10_000}}},
		{"transfer", aliceToken, 2_500, alice, bob, "", []change{{alice, -2_500, bob, 7_500}, {bob, 2_500, alice, 2_500}}},
		{"withdrawal", bobToken, 500, bob, "cash", "", []change{{bob, -500, "cash", 2_000}}},
		{"payment to another bank", aliceToken, 1_000, alice, external, "", []change{{alice, -1_000, external, 6_500}}},
		{"from the bank's own account", shared.OwnToken, 100, shared.OwnIBAN, alice, "", []change{{shared.OwnIBAN, -100, alice, 0}, {alice, 100, shared.OwnIBAN, 6_600}}},
		{"to the bank's own account", aliceToken, 600, alice, shared.OwnIBAN, "", []change{{alice, -600, shared.OwnIBAN, 6_000}, {shared.OwnIBAN, 600, alice, 0}}},
		{"invalid token", bobToken, 1, alice, bob, "invalid token", nil},
		{"one cent past the limit", aliceToken, 56_001, alice, bob, "insufficient funds", nil},
		{"limit exactly reached", aliceToken, 56_000, alice, bob, "", []change{{alice, -56_000, bob, -50_000}, {bob, 56_000, alice, 58_000}}},
		{"at the limit", aliceToken, 1, alice, "cash", "insufficient funds", nil},
		{"unknown iban of this bank", "whatever", 1, unknown, bob, "from is invalid", nil},
		{"garbage from", "whatever", 1, "piggy bank", bob, "from is invalid", nil},
		{"same from and to", bobToken, 1, bob, bob, "from and to can't be same for transfer", nil},
		{"zero amount", bobToken, 0, bob, alice, "invalid amount", nil},
		{"negative amount", bobToken, -1_000, bob, alice, "invalid amount", nil},
		{"deposit to nobody", "cash", 1_000, "cash", external, "both to and from not known at this bank", nil},
		{"deposit to an unknown iban of this bank", "cash", 1_000, "cash", unknown, "both to and from not known at this bank", nil},
	}
	ids := make([]uuid.UUID, len(steps))
	for i, s := range steps {
		id, reason := b.transfer(s.token, s.amount, s.from, s.to)
		ids[i] = id
		if reason != s.reason {
			t.Fatalf("%s: reason %q, want %q", s.name, reason, s.reason)
		}
		for _, c := range s.changes {
			d := b.tail.WaitFor(t, 30*time.Second, func(d topology.Delivery) bool {
				return d.Topic == topology.TopicBalanceChanged && d.Header(topology.HeaderCommandID) == id.String() &&
					d.Record.(*records.BalanceChanged).IBAN == c.iban
			})
			bc := d.Record.(*records.BalanceChanged)
			if string(d.Key) != c.iban || bc.ChangedBy != c.changedBy || bc.FromTo != c.fromTo || bc.Description != "test" ||
				(c.iban != shared.OwnIBAN && bc.NewBalance != c.newBalance) {
				t.Fatalf("%s: BalanceChanged %+v (key %s), want %+v", s.name, bc, d.Key, c)
			}
		}
	}
	if got := balance(t, conn, alice); got != -50_000 {
		t.Errorf("alice's balance %d, want -50000", got)
	}
	if got := balance(t, conn, bob); got != 58_000 {
		t.Errorf("bob's balance %d, want 58000", got)
	}
	// Every event has arrived by now; failed commands changed nothing.
	time.Sleep(500 * time.Millisecond)
	for i, s := range steps {
		if got := b.changes(ids[i]); len(got) != len(s.changes) {
			t.Errorf("%s: %d BalanceChanged events, want %d: %+v", s.name, len(got), len(s.changes), got)
		}
	}
}

func TestSameCommandTwice(t *testing.T) {
	startHandler(t)
	b := newBank(t)
	conn := db(t)

	// An account creation retried gives the same account.
	id := uuid.New()
	create := commandMessage(id, &records.ConfirmAccountCreation{ID: id, AType: records.AtypeAuto})
	b.send(create)
	first := b.feedback(id)
	b.send(create)
	b.tail.WaitFor(t, 30*time.Second, func(d topology.Delivery) bool {
		return len(b.feedbacks(id)) == 2
	})
	fbs := b.feedbacks(id)
	if !reflect.DeepEqual(fbs[0], fbs[1]) {
		t.Fatalf("feedbacks differ: %+v %+v", fbs[0], fbs[1])
	}
	iban := first.(*records.AccountCreationConfirmed).IBAN
	var accounts int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM balance WHERE iban = $1`, iban).Scan(&accounts); err != nil || accounts != 1 {
		t.Fatalf("%d accounts %s (%v)", accounts, iban, err)
	}

	// A deposit retried later, and one sent twice at once, change the balance once.
	later, atOnce, failed := uuid.New(), uuid.New(), uuid.New()
	b.send(transferCommand(later, "cash", 700, "cash", iban, "once"))
	b.feedback(later)
	b.send(transferCommand(later, "cash", 700, "cash", iban, "once"))
	b.send(transferCommand(atOnce, "cash", 300, "cash", iban, "once"), transferCommand(atOnce, "cash", 300, "cash", iban, "once"))
	b.send(transferCommand(failed, "wrong", 5, iban, "cash", "nope"))
	b.feedback(failed)
	b.send(transferCommand(failed, "wrong", 5, iban, "cash", "nope"))
	for _, id := range []uuid.UUID{later, atOnce, failed} {
		b.tail.WaitFor(t, 30*time.Second, func(topology.Delivery) bool { return len(b.feedbacks(id)) >= 2 })
	}
	time.Sleep(500 * time.Millisecond) // let any stray event arrive
	for _, id := range []uuid.UUID{later, atOnce, failed} {
		fbs := b.feedbacks(id)
		if len(fbs) != 2 || !reflect.DeepEqual(fbs[0], fbs[1]) {
			t.Errorf("command %s: feedbacks %+v, want two identical", id, fbs)
		}
	}
	if fb, ok := b.feedbacks(failed)[0].(*records.MoneyTransferFailed); !ok || fb.Reason != "invalid token" {
		t.Errorf("retried failure answered %+v", b.feedbacks(failed)[0])
	}
	for id, want := range map[uuid.UUID]int{later: 1, atOnce: 1, failed: 0} {
		all := b.tail.All(func(d topology.Delivery) bool {
			return d.Topic == topology.TopicBalanceChanged && d.Header(topology.HeaderCommandID) == id.String()
		})
		if len(all) != want {
			t.Errorf("command %s: %d BalanceChanged events, want %d", id, len(all), want)
		}
	}
	if got := balance(t, conn, iban); got != 1_000 {
		t.Errorf("balance %d, want 1000", got)
	}
}

// feedbacks are every feedback record seen for id, redeliveries included.
func (b *bank) feedbacks(id uuid.UUID) []records.Record {
	var out []records.Record
	for _, d := range b.tail.All(func(d topology.Delivery) bool {
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
	msgs     []topology.Message
	ids      []uuid.UUID
	kind     map[uuid.UUID]string // "deposit", "withdrawal", "transfer"
	amount   map[uuid.UUID]int64
}

func newStream(t *testing.T, b *bank, accounts, commands int, seed uint64) *stream {
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
		var m topology.Message
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
func (s *stream) waitAnswered(t *testing.T, b *bank, timeout time.Duration) {
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
func (s *stream) answered(b *bank) map[uuid.UUID]records.Record {
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
func (s *stream) check(t *testing.T, b *bank) {
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
		events = distinctChanges(b.tail.All(func(d topology.Delivery) bool {
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

	copies := len(b.tail.All(func(d topology.Delivery) bool {
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

func TestPoisonRecordsGoToTheDeadLetterTopic(t *testing.T) {
	startHandler(t)
	b := newBank(t, topology.TopicCommandsDeadLetter)
	ctx := context.Background()

	// A BalanceChanged in the wire format: decodable, but no command.
	serde := topology.NewSerde(topology.NewRegistry(topologytest.Kafka(t).RegistryURL))
	wrongType, err := serde.Encode(topology.TopicBalanceChanged, &records.BalanceChanged{IBAN: shared.OwnIBAN, Description: "not a command"})
	if err != nil {
		t.Fatal(err)
	}
	unknownSchema := []byte{0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(unknownSchema[1:], 987_654)
	unknownSchema = append(unknownSchema, 2, 4, 6)
	validID := uuid.New()
	valid, err := serde.Encode(topology.TopicCommands, &records.ConfirmMoneyTransfer{ID: validID, Amount: 1, From: "cash", To: shared.OwnIBAN})
	if err != nil {
		t.Fatal(err)
	}
	nulID := uuid.New()
	withNUL, err := serde.Encode(topology.TopicCommands, &records.ConfirmMoneyTransfer{ID: nulID, Amount: 1, From: "cash", To: shared.OwnIBAN, Description: "a\x00b"})
	if err != nil {
		t.Fatal(err)
	}
	marker := uuid.NewString()
	poison := []struct {
		name  string
		key   string
		value []byte
	}{
		{"garbage", uuid.NewString(), []byte("hello, bank")},
		{"empty", uuid.NewString(), nil},
		{"unknown schema id", uuid.NewString(), unknownSchema},
		{"record type of another topic", uuid.NewString(), wrongType},
		{"key that is no UUID", "not-a-uuid", valid},
		{"key that is another command's id", uuid.NewString(), valid},
		{"text PostgreSQL cannot store", nulID.String(), withNUL},
	}
	var raw []topology.RawMessage
	for i, p := range poison {
		raw = append(raw, topology.RawMessage{
			Topic: topology.TopicCommands, Key: []byte(p.key), Value: p.value,
			Headers: []topology.Header{{Key: "test-marker", Value: []byte(marker)}, {Key: "poison", Value: []byte(strconv.Itoa(i))}},
		})
	}
	if err := b.p.SendRaw(ctx, raw...); err != nil {
		t.Fatal(err)
	}
	// Commands after the poison are handled.
	_, reason := b.transfer("cash", 1_000, "cash", shared.OwnIBAN)
	if reason != "" {
		t.Fatalf("deposit after poison: %q", reason)
	}
	for i, p := range poison {
		d := b.tail.WaitFor(t, 30*time.Second, func(d topology.Delivery) bool {
			return d.Topic == topology.TopicCommandsDeadLetter && d.Header("test-marker") == marker && d.Header("poison") == strconv.Itoa(i)
		})
		if string(d.Key) != p.key || string(d.Value) != string(p.value) {
			t.Errorf("%s: dead letter key %q value %q, want %q %q", p.name, d.Key, d.Value, p.key, p.value)
		}
		if d.Header(topology.HeaderDeadLetterTopic) != topology.TopicCommands || d.Header(topology.HeaderDeadLetterOffset) == "" ||
			d.Header(topology.HeaderDeadLetterPartition) == "" || d.Header(topology.HeaderDeadLetterError) == "" {
			t.Errorf("%s: dead letter headers %v", p.name, d.Headers)
		}
		t.Logf("%s: %s", p.name, d.Header(topology.HeaderDeadLetterError))
	}
	if got := b.feedbacks(validID); len(got) != 0 {
		t.Errorf("a dead-lettered command whose key is another id was answered: %+v", got)
	}
	// The command dead-lettered for its text has a readable id: its sender
	// gets a definite answer instead of waiting for ever.
	d := b.tail.WaitFor(t, 30*time.Second, func(d topology.Delivery) bool {
		return isFeedback(d) && d.Header(topology.HeaderCommandID) == nulID.String()
	})
	if f, ok := d.Record.(*records.MoneyTransferFailed); !ok || f.Reason != handler.ReasonInvalidCommand || f.ID != [16]byte(nulID) {
		t.Errorf("answer to the command with a NUL: %+v", d.Record)
	}
}

// metricSum adds up every sample of a counter on the handler's /metrics.
func metricSum(t *testing.T, port int, name string) float64 {
	t.Helper()
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			sum += v
		}
	}
	return sum
}

func TestDatabaseOutageDelaysButSkipsNothing(t *testing.T) {
	pg := net.JoinHostPort(os.Getenv("DB_HOSTNAME"), os.Getenv("DB_PORT"))
	proxy := startProxy(t, pg)
	h, _ := startHandler(t, "DB_HOSTNAME=127.0.0.1", "DB_PORT="+strconv.Itoa(proxy.port))
	b := newBank(t)
	iban, _ := b.openAccount()

	proxy.stop() // the database is gone, connections and all
	var ids []uuid.UUID
	var msgs []topology.Message
	for i := range 20 {
		id := uuid.New()
		ids = append(ids, id)
		msgs = append(msgs, transferCommand(id, "cash", int64(i+1), "cash", iban, "during the outage"))
	}
	b.send(msgs...)
	time.Sleep(3 * time.Second)
	for _, id := range ids {
		if fbs := b.feedbacks(id); len(fbs) != 0 {
			t.Fatalf("answered without a database: %+v", fbs)
		}
	}
	proxy.start()
	for _, id := range ids {
		if _, ok := b.feedback(id).(*records.MoneyTransferConfirmed); !ok {
			t.Fatalf("deposit %s not confirmed", id)
		}
	}
	if got := balance(t, db(t), iban); got != 210 { // 1 + 2 + ... + 20
		t.Errorf("balance %d, want 210", got)
	}
	if !strings.Contains(h.Output(), "retrying") {
		t.Errorf("no retry logged:\n%s", h.Output())
	}
}

// proxy forwards TCP connections to a target until stopped; stopping closes
// every connection, as a database that goes away would.
type proxy struct {
	t      *testing.T
	target string
	port   int
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, target: target, port: topologytest.FreePort(t)}
	p.start()
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) start() {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)))
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
}

func (p *proxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// A crash between the database commit and the offset commit means the same
// records are read again: every stored event is sent again, identical, and
// nothing changes. Rewinding the group's offsets reproduces that exactly.
func TestRedeliveredCommandsAreAnsweredAgainUnchanged(t *testing.T) {
	h, port := startHandler(t)
	b := newBank(t, topology.TopicCommands)
	iban, token := b.openAccount()
	var ids []uuid.UUID
	var msgs []topology.Message
	for _, m := range []topology.Message{
		transferCommand(uuid.Nil, "cash", 5_000, "cash", iban, "deposit"),
		transferCommand(uuid.Nil, token, 1_500, iban, shared.OwnIBAN, "fee"),
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
		d := b.tail.WaitFor(t, 10*time.Second, func(d topology.Delivery) bool {
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
		b.tail.WaitFor(t, 30*time.Second, func(topology.Delivery) bool { return len(b.feedbacks(id)) >= 2 })
	}
	// Deposit and fee changed two balances in all; each change is sent again.
	b.tail.WaitFor(t, 30*time.Second, func(topology.Delivery) bool {
		return len(b.tail.All(func(d topology.Delivery) bool {
			return d.Topic == topology.TopicBalanceChanged && slices.Contains(ids, uuid.MustParse(d.Header(topology.HeaderCommandID)))
		})) >= 6
	})
	time.Sleep(200 * time.Millisecond) // a stray extra copy would show now
	for _, id := range ids {
		fbs := b.feedbacks(id)
		if len(fbs) != 2 || !reflect.DeepEqual(fbs[0], fbs[1]) {
			t.Errorf("command %s: feedbacks %+v, want two identical", id, fbs)
		}
		all := b.tail.All(func(d topology.Delivery) bool {
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
	admin, err := topology.NewAdmin(topologytest.Kafka(t), topologytest.Log(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	next := map[topology.TopicPartition]int64{}
	for p, o := range offsets {
		next[topology.TopicPartition{Topic: topology.TopicCommands, Partition: p}] = o
	}
	if err := admin.CommitOffsets(context.Background(), group, next); err != nil {
		t.Fatalf("rewind the group: %v", err)
	}
}
