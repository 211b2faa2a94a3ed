package chaos

import (
	"strings"
	"testing"
	"time"
)

const (
	alice = "NL12OPEN0000000001"
	bob   = "NL12OPEN0000000002"
)

// healthy is a small history in which every invariant holds: two accounts
// opened, a deposit to alice, alice pays bob, bob pays outside the bank,
// a failed transfer; copies of re-sent answers and events.
func healthy() Observed {
	return Observed{
		Commands: []Command{
			{ID: "c1"}, {ID: "c2"},
			{ID: "t1", Transfer: true, Amount: 1000, From: Cash, To: alice},
			{ID: "t2", Transfer: true, Amount: 300, From: alice, To: bob},
			{ID: "t3", Transfer: true, Amount: 100, From: bob, To: "NL99OTHR0000000000"},
			{ID: "t4", Transfer: true, Amount: 999999, From: bob, To: alice},
			{ID: "t2", Transfer: true, Amount: 300, From: alice, To: bob}, // a client's retry
		},
		Feedback: []Feedback{
			{ID: "c1", Confirmed: true, IBAN: alice, Canonical: "c1 " + alice},
			{ID: "c2", Confirmed: true, IBAN: bob, Canonical: "c2 " + bob},
			{ID: "t1", Confirmed: true, Canonical: "t1 ok"},
			{ID: "t2", Confirmed: true, Canonical: "t2 ok"},
			{ID: "t2", Confirmed: true, Canonical: "t2 ok"}, // re-sent after a crash
			{ID: "t3", Confirmed: true, Canonical: "t3 ok"},
			{ID: "t4", Canonical: "t4 insufficient funds"},
		},
		Events: []BalanceEvent{
			{CommandID: "t1", IBAN: alice, NewBalance: 1000, ChangedBy: 1000, FromTo: Cash},
			{CommandID: "t2", IBAN: alice, NewBalance: 700, ChangedBy: -300, FromTo: bob},
			{CommandID: "t2", IBAN: bob, NewBalance: 300, ChangedBy: 300, FromTo: alice},
			{CommandID: "t2", IBAN: bob, NewBalance: 300, ChangedBy: 300, FromTo: alice}, // redelivered
			{CommandID: "t3", IBAN: bob, NewBalance: 200, ChangedBy: -100, FromTo: "NL99OTHR0000000000"},
		},
		Balances: map[string]int64{BankIBAN: BankOpeningBalance, alice: 700, bob: 200},
		Transactions: []BalanceEvent{
			{CommandID: "t1", IBAN: alice, NewBalance: 1000, ChangedBy: 1000, FromTo: Cash},
			{CommandID: "t2", IBAN: alice, NewBalance: 700, ChangedBy: -300, FromTo: bob},
			{CommandID: "t2", IBAN: bob, NewBalance: 300, ChangedBy: 300, FromTo: alice},
			{CommandID: "t3", IBAN: bob, NewBalance: 200, ChangedBy: -100, FromTo: "NL99OTHR0000000000"},
		},
		Lags:        []Lag{{Group: "h", Topic: "commands", Partition: 0, Committed: 7, High: 7}},
		DeadLetters: []DeadLetter{{Offset: 0, Detail: "not Avro"}},
		Clients: []ClientTransfer{
			{ID: "t1", IBAN: alice, Answered: true, Confirmed: true, StreamIDs: []string{"1"}},
			{ID: "t4", IBAN: bob, Answered: true},
		},
		Writes: &Writes{Gateways: 3, Offered: 5, Inserted: 4, Rows: 4},
	}
}

func TestHealthyHistoryPasses(t *testing.T) {
	rs := Check(healthy())
	for _, r := range rs {
		if !r.OK {
			t.Errorf("%s failed: %s", r.Name, r.Detail)
		}
	}
	if got := Summary(rs); got != "7 passed, 0 failed" {
		t.Errorf("summary %q", got)
	}
}

// Each case breaks the healthy history in one way; the named invariant must
// fail, its detail naming what is wrong (others may fail too: a lost event
// also unbalances the books).
func TestBrokenHistoriesFail(t *testing.T) {
	cases := []struct {
		name, invariant, detail string
		breakIt                 func(*Observed)
	}{
		{"money from nowhere", "money conserved", "off by 5", func(o *Observed) { o.Balances[alice] += 5 }},
		{"lost feedback", "one distinct feedback per command", "1 without feedback (t3)", func(o *Observed) {
			o.Feedback = append(o.Feedback[:5], o.Feedback[6])
		}},
		{"two answers", "one distinct feedback per command", "1 with differing answers (t4)", func(o *Observed) {
			o.Feedback = append(o.Feedback, Feedback{ID: "t4", Confirmed: true, Canonical: "t4 ok"})
		}},
		{"answer to nothing", "one distinct feedback per command", "1 answers to no command (zz)", func(o *Observed) {
			o.Feedback = append(o.Feedback, Feedback{ID: "zz", Canonical: "zz"})
		}},
		{"applied twice", "balances = replay of distinct BalanceChanged", "1 balances off", func(o *Observed) {
			// A second application of t3 under a new id would be caught as a command with no
			// feedback; under its own id with other balances it is a differing copy.
			o.Events = append(o.Events, BalanceEvent{CommandID: "t3b", IBAN: bob, NewBalance: 100, ChangedBy: -100})
		}},
		{"differing copies", "balances = replay of distinct BalanceChanged", "1 events with differing copies", func(o *Observed) {
			o.Events = append(o.Events, BalanceEvent{CommandID: "t1", IBAN: alice, NewBalance: 2000, ChangedBy: 1000, FromTo: Cash})
		}},
		{"lost event", "balances = replay of distinct BalanceChanged", "1 commands with wrong events (t3)", func(o *Observed) {
			o.Events = o.Events[:4]
			o.Balances[bob] = 300
			o.Balances[BankIBAN] -= 100 // keep money conserved so only this invariant fails
			o.Transactions = o.Transactions[:3]
		}},
		{"row missing", "transactiondb holds each BalanceChanged once", "1 missing (t3/", func(o *Observed) {
			o.Transactions = o.Transactions[:3]
		}},
		{"row twice", "transactiondb holds each BalanceChanged once", "1 doubled (t1/", func(o *Observed) {
			o.Transactions = append(o.Transactions, o.Transactions[0])
		}},
		{"stream lost", "client streams: each confirmed transfer exactly once", "1 never on the stream (t1)", func(o *Observed) {
			o.Clients[0].StreamIDs = nil
		}},
		{"stream twice", "client streams: each confirmed transfer exactly once", "1 on it more than once (t1)", func(o *Observed) {
			o.Clients[0].Repeats = 1
		}},
		{"stuck", "client streams: each confirmed transfer exactly once", "1 never answered (t9)", func(o *Observed) {
			o.Clients = append(o.Clients, ClientTransfer{ID: "t9"})
		}},
		{"lag", "no lag, no valid command dead-lettered", "lag 3: 1 of ", func(o *Observed) {
			o.Lags[0].Committed = 4
		}},
		{"valid dead letter", "no lag, no valid command dead-lettered", "1 of them valid commands", func(o *Observed) {
			o.DeadLetters = append(o.DeadLetters, DeadLetter{Offset: 1, ValidCommand: true, Detail: "ConfirmMoneyTransfer"})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := healthy()
			c.breakIt(&o)
			for _, r := range Check(o) {
				if r.Name != c.invariant {
					continue
				}
				if r.OK {
					t.Errorf("%s passed: %s", r.Name, r.Detail)
				} else if !strings.Contains(r.Detail, c.detail) {
					t.Errorf("%s detail %q lacks %q", r.Name, r.Detail, c.detail)
				}
			}
		})
	}
}

func TestNothingObservedFails(t *testing.T) {
	rs := Check(Observed{Balances: map[string]int64{BankIBAN: BankOpeningBalance}})
	if got := Summary(rs); got != "4 passed, 3 failed" {
		t.Errorf("an empty run: %s (clients, lags and writes must be seen)", got)
	}
}

// Three gateways that each read every record offer it three times: that
// fails; a shared group offers each about once.
func TestWritesOnce(t *testing.T) {
	events := []BalanceEvent{{CommandID: "a", IBAN: "x"}, {CommandID: "b", IBAN: "x"}, {CommandID: "b", IBAN: "x"}}
	for _, c := range []struct {
		w  Writes
		ok bool
	}{
		{Writes{Gateways: 3, Offered: 3, Inserted: 2, Rows: 2}, true},
		{Writes{Gateways: 3, Offered: 9, Inserted: 2, Rows: 2}, false}, // every instance offered every record
		{Writes{Gateways: 3, Offered: 3, Inserted: 2, Rows: 3}, false}, // a row no record explains
		{Writes{Gateways: 3, Offered: 3, Inserted: 3, Rows: 2}, false}, // more inserts than rows
	} {
		if r := WritesOnce(Observed{Events: events, Writes: &c.w}); r.OK != c.ok {
			t.Errorf("%+v: ok %v, want %v (%s)", c.w, r.OK, c.ok, r.Detail)
		}
	}
}

func TestRecoveryStats(t *testing.T) {
	var faults []FaultRecord
	for i := 1; i <= 100; i++ {
		faults = append(faults, FaultRecord{Kind: HandlerKill, Recovery: time.Duration(i) * time.Second})
	}
	faults = append(faults, FaultRecord{Kind: BrokerKill, Recovery: -1}, FaultRecord{Kind: BrokerKill, Recovery: time.Second})
	s := Stats(faults)
	if len(s) != 2 || s[0].Kind != HandlerKill || s[0].P50 != 50500*time.Millisecond || s[0].P99 != 99010*time.Millisecond || s[0].Max != 100*time.Second {
		t.Fatalf("handler kills: %+v", s)
	}
	if s[1].Kind != BrokerKill || s[1].Count != 2 || s[1].NotRecovered != 1 || s[1].Max != time.Second {
		t.Fatalf("broker kills: %+v", s[1])
	}
}

func TestServedAgainCountsOnlyTransfersSentAfterTheFault(t *testing.T) {
	c := NewConfirmations()
	t0 := time.Unix(1000, 0)
	c.Add(t0.Add(-time.Second), t0.Add(2*time.Second)) // in flight across the fault
	if _, ok, _ := c.ServedAgain(t0); ok {
		t.Fatal("a transfer sent before the fault counted")
	}
	c.Add(t0.Add(time.Second), t0.Add(5*time.Second))
	c.Add(t0.Add(3*time.Second), t0.Add(4*time.Second))
	at, ok, _ := c.ServedAgain(t0)
	if !ok || !at.Equal(t0.Add(4*time.Second)) {
		t.Fatalf("served again at %v %v", at, ok)
	}
}

func TestParseFaults(t *testing.T) {
	got, err := ParseFaults("handler-kill=3, broker-kill=1")
	if err != nil || got[HandlerKill] != 3 || got[BrokerKill] != 1 {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"handler-kill", "nap=1", "gateway-kill=-1", "gateway-kill=x"} {
		if _, err := ParseFaults(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestAllFaults(t *testing.T) {
	want := map[string]int{HandlerKill: 2, BrokerKill: 1}
	ok := []FaultRecord{{Kind: HandlerKill, Recovery: time.Second}, {Kind: HandlerKill, Recovery: 2 * time.Second},
		{Kind: BrokerKill, Recovery: 3 * time.Second}}
	if r := AllFaults(want, ok); !r.OK {
		t.Errorf("all injected and recovered: %+v", r)
	}
	if r := AllFaults(want, ok[:2]); r.OK {
		t.Errorf("one skipped passed: %+v", r)
	}
	for _, f := range []FaultRecord{{Kind: BrokerKill, Recovery: -1}, {Kind: BrokerKill, Cut: true}, {Kind: BrokerKill, Err: "x"}} {
		if r := AllFaults(want, append(ok[:2:2], f)); r.OK {
			t.Errorf("%+v passed: %+v", f, r)
		}
	}
}
