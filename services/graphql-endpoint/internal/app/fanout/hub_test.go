package fanout

import (
	"testing"

	"openbank/services/graphql-endpoint/internal/domain/transaction"
)

func ptr[T any](v T) *T { return &v }

func drain(s *Subscription[transaction.Transaction]) []int64 {
	var ids []int64
	for {
		select {
		case t, ok := <-s.C():
			if !ok {
				return ids
			}
			ids = append(ids, t.ID)
		default:
			return ids
		}
	}
}

func TestPublishMatchesFiltersOnce(t *testing.T) {
	h := NewHub(func(t transaction.Transaction) transaction.Transaction { return t }, nil)
	all := h.Subscribe(transaction.Filter{})
	a := h.Subscribe(transaction.Filter{IBAN: ptr("A")})
	aDebit := h.Subscribe(transaction.Filter{IBAN: ptr("A"), Direction: ptr(transaction.Debit)})
	b := h.Subscribe(transaction.Filter{IBAN: ptr("B")})
	txs := []transaction.Transaction{
		{ID: 1, IBAN: "A", ChangedBy: 100},
		{ID: 2, IBAN: "A", ChangedBy: -100},
		{ID: 3, IBAN: "C", ChangedBy: 5},
	}
	h.Publish(txs)
	h.Publish(txs[:2]) // a redelivery: already published
	for name, c := range map[string]struct {
		s    *Subscription[transaction.Transaction]
		want []int64
	}{
		"all": {all, []int64{1, 2, 3}}, "a": {a, []int64{1, 2}}, "a debit": {aDebit, []int64{2}}, "b": {b, nil},
	} {
		got := drain(c.s)
		if len(got) != len(c.want) {
			t.Errorf("%s: got %v, want %v", name, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: got %v, want %v", name, got, c.want)
			}
		}
	}
	if h.Len() != 4 {
		t.Errorf("%d subscribers", h.Len())
	}
	a.Close()
	a.Close()
	all.Close()
	if h.Len() != 2 {
		t.Errorf("%d subscribers after close", h.Len())
	}
	if _, ok := <-a.C(); ok {
		t.Error("closed subscription still open")
	}
}

func TestSlowSubscriberIsEnded(t *testing.T) {
	h := NewHub(func(t transaction.Transaction) transaction.Transaction { return t }, nil)
	s := h.Subscribe(transaction.Filter{})
	for i := range BufferSize + 1 {
		h.Publish([]transaction.Transaction{{ID: int64(i + 1), IBAN: "A"}})
	}
	if h.Len() != 0 {
		t.Fatal("slow subscriber still subscribed")
	}
	if n := len(drain(s)); n != BufferSize {
		t.Errorf("got %d buffered before the end, want %d", n, BufferSize)
	}
}

// TestRedeliveryLongAfterIsNotStreamedAgain: a command handler restarted
// behind a long backlog re-sends a batch's BalanceChanged events minutes
// later, when tens of thousands of other rows were published meanwhile (the
// chaos run found such repeats on client streams). The row is not streamed
// twice.
func TestRedeliveryLongAfterIsNotStreamedAgain(t *testing.T) {
	h := NewHub(func(t transaction.Transaction) transaction.Transaction { return t }, nil)
	a := h.Subscribe(transaction.Filter{IBAN: ptr("A")})
	h.Publish([]transaction.Transaction{{ID: 1, IBAN: "A"}})
	for id := int64(2); id < 50_000; id++ {
		h.Publish([]transaction.Transaction{{ID: id, IBAN: "B"}})
	}
	h.Publish([]transaction.Transaction{{ID: 1, IBAN: "A"}, {ID: 50_000, IBAN: "A"}})
	if got := drain(a); len(got) != 2 || got[0] != 1 || got[1] != 50_000 {
		t.Errorf("A's stream got %v, want [1 50000]", got)
	}
}
