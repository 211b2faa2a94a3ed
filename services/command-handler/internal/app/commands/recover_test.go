package commands

import (
	"context"
	"log/slog"
	"slices"
	"testing"

	"github.com/google/uuid"

	"openbank/messaging"
	"openbank/services/command-handler/internal/domain/ledger"
	"openbank/topology"
	"openbank/topology/ident"
	"openbank/topology/records"
)

// decidedLog keeps handled commands in the order they were decided, as
// balancedb's decided_batch and decided_pos do.
type decidedLog []ledger.Handled

func (l decidedLog) DecidedSince(_ context.Context, from map[int32]int64) ([]ledger.Handled, error) {
	var out []ledger.Handled
	for _, h := range l {
		if o, ok := from[h.Partition]; ok && h.Offset >= o {
			out = append(out, h)
		}
	}
	return out, nil
}

// balances are the new_balance of each BalanceChanged of iban in out.
func balances(out *published, iban string) []int64 {
	var bs []int64
	for _, m := range out.msgs {
		if bc, ok := m.Record.(*records.BalanceChanged); ok && bc.IBAN == iban {
			bs = append(bs, bc.NewBalance)
		}
	}
	return bs
}

// A crashed instance decided two deposits on partition 9 (committed offset
// 10) and one on partition 3 (committed offset 2, so published and
// committed) but never published the first two. The new owner re-sends those
// two, in decision order, before it decides anything, and their redelivery
// afterwards sends feedback but no BalanceChanged again.
func TestRecoveryResendsInDecisionOrderAndOnlyOnce(t *testing.T) {
	f := newFixture(t)
	f.handle(t, delivery(0, 1, &records.ConfirmAccountCreation{ID: uuid.New(), AType: "AUTO"}))
	iban := f.ibans[0]
	deposit := func(amount int64) *records.ConfirmMoneyTransfer {
		return &records.ConfirmMoneyTransfer{ID: uuid.New(), Amount: amount, From: ident.Cash, To: iban, Description: "d"}
	}
	early, first, second, later := deposit(1), deposit(10), deposit(100), deposit(1000)
	f.handle(t, delivery(3, 1, early))
	f.handle(t, delivery(9, 10, first), delivery(9, 11, second))
	var log decidedLog
	for _, id := range [][16]byte{early.ID, first.ID, second.ID} {
		log = append(log, f.store.handled[id])
	}

	sent := &published{}
	r := NewRecovery(log, sent, testKeyed, slog.New(slog.DiscardHandler))
	committed := map[messaging.TopicPartition]int64{
		{Topic: topology.TopicCommands, Partition: 9}: 10,
		{Topic: topology.TopicCommands, Partition: 3}: 2,
	}
	if err := r.OnAssigned(context.Background(), committed); err != nil {
		t.Fatal(err)
	}
	if got := balances(sent, iban); !slices.Equal(got, []int64{11, 111}) {
		t.Fatalf("re-sent new balances %v, want [11 111]: partition 9's two, in decision order", got)
	}
	if got := sent.topics(); got[topology.TopicMoneyTransferFeedback] != 2 {
		t.Errorf("re-sent feedback %v, want two", got)
	}

	// The new owner decides a newer deposit, and partition 9's records come again.
	out := &published{}
	f.h.producer, f.h.Recovery = out, r
	if err := f.h.Handle(context.Background(), []messaging.Delivery{delivery(4, 7, later), delivery(9, 10, first), delivery(9, 11, second)}); err != nil {
		t.Fatal(err)
	}
	if got := balances(out, iban); !slices.Equal(got, []int64{1111}) {
		t.Errorf("after the recovery the batch sent new balances %v, want only the new deposit's [1111]", got)
	}
	if got := out.topics(); got[topology.TopicMoneyTransferFeedback] != 3 {
		t.Errorf("after the recovery the batch sent %v, want three feedbacks", got)
	}
	// Once seen again, a command is forgotten: a later redelivery sends everything.
	if err := f.h.Handle(context.Background(), []messaging.Delivery{delivery(9, 10, first)}); err != nil {
		t.Fatal(err)
	}
	if got := balances(out, iban); !slices.Equal(got, []int64{1111, 11}) {
		t.Errorf("a second redelivery sent new balances %v, want its own again", got)
	}
}
