package commands

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/google/uuid"

	"openbank/kit/metric/metrictest"
	"openbank/messaging"
	"openbank/services/command-handler/internal/domain/ledger"
	"openbank/services/command-handler/internal/domain/tokens"
	"openbank/topology"
	"openbank/topology/ident"
	"openbank/topology/records"
)

// published records what the handler sends, as Kafka would acknowledge it.
type published struct {
	msgs []messaging.Message
	dead []messaging.RawMessage
}

func (p *published) Send(_ context.Context, msgs ...messaging.Message) error {
	p.msgs = append(p.msgs, msgs...)
	return nil
}

func (p *published) SendAsync(ctx context.Context, msgs ...messaging.Message) (func(context.Context) error, error) {
	err := p.Send(ctx, msgs...)
	return func(context.Context) error { return err }, nil
}

func (p *published) SendRaw(_ context.Context, msgs ...messaging.RawMessage) error {
	p.dead = append(p.dead, msgs...)
	return nil
}

// topics counts the published messages per topic.
func (p *published) topics() map[string]int {
	n := map[string]int{}
	for _, m := range p.msgs {
		n[m.Topic]++
	}
	return n
}

// testKeyed is the token key of the unit tests.
var testKeyed = tokens.New(bytes.Repeat([]byte{7}, tokens.MinKeyBytes))

type fixture struct {
	store   *memStore
	out     *published
	h       *Handler
	metrics *Metrics
	ibans   []string
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{store: newMemStore(), out: &published{}, metrics: NewMetrics(nil)}
	f.h = New(f.store, f.out, "commands_dead_letter", testKeyed, f.metrics, slog.New(slog.DiscardHandler))
	f.h.NewIBAN = func() (string, error) {
		iban, err := ident.NewIBAN()
		f.ibans = append(f.ibans, iban)
		return iban, err
	}
	return f
}

func delivery(partition int32, offset int64, r records.Record) messaging.Delivery {
	var id uuid.UUID
	switch c := r.(type) {
	case *records.ConfirmAccountCreation:
		id = c.ID
	case *records.ConfirmMoneyTransfer:
		id = c.ID
	}
	return messaging.Delivery{Topic: topology.TopicCommands, Partition: partition, Offset: offset, Key: []byte(id.String()), Record: r}
}

func (f *fixture) handle(t *testing.T, batch ...messaging.Delivery) *published {
	t.Helper()
	f.out = &published{}
	f.h.producer = f.out
	if err := f.h.Handle(context.Background(), batch); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	return f.out
}

func (f *fixture) count(t *testing.T, kind ledger.Kind, result string) float64 {
	t.Helper()
	return metrictest.Read(t, f.metrics.Set).Value("command_handler_commands_total", "type", kind.String(), "result", result)
}

// The four ways a command is handled, against the in-memory store: decided,
// a client's retry, a redelivery of the same record, a repeat in the batch.
func TestHandleClassifiesEachCommand(t *testing.T) {
	f := newFixture(t)
	create := &records.ConfirmAccountCreation{ID: uuid.New(), AType: "AUTO"}
	out := f.handle(t, delivery(0, 1, create))
	if got := out.topics(); got[topology.TopicAccountCreationFeedback] != 1 || len(out.msgs) != 1 {
		t.Fatalf("account creation published %v", got)
	}
	iban := f.ibans[0]
	deposit := &records.ConfirmMoneyTransfer{ID: uuid.New(), Amount: 500, From: ident.Cash, To: iban, Description: "d"}

	// Decided, then repeated in the same batch: one BalanceChanged, two feedbacks.
	out = f.handle(t, delivery(1, 10, deposit), delivery(1, 11, deposit))
	if got := out.topics(); got[topology.TopicBalanceChanged] != 1 || got[topology.TopicMoneyTransferFeedback] != 2 {
		t.Errorf("deposit repeated in its batch published %v", got)
	}
	if f.store.accounts[iban].Balance != 500 {
		t.Errorf("balance %d after one deposit, want 500", f.store.accounts[iban].Balance)
	}

	// A client's retry (another record): the stored feedback only.
	out = f.handle(t, delivery(2, 3, deposit))
	if got := out.topics(); got[topology.TopicBalanceChanged] != 0 || got[topology.TopicMoneyTransferFeedback] != 1 {
		t.Errorf("client retry published %v", got)
	}

	// The same record again (a crash before the commit): every event again.
	out = f.handle(t, delivery(1, 10, deposit))
	if got := out.topics(); got[topology.TopicBalanceChanged] != 1 || got[topology.TopicMoneyTransferFeedback] != 1 {
		t.Errorf("redelivery published %v", got)
	}
	if bc := out.msgs[0].Record.(*records.BalanceChanged); bc.NewBalance != 500 {
		t.Errorf("redelivered BalanceChanged says %d, want the stored 500", bc.NewBalance)
	}
	if f.store.accounts[iban].Balance != 500 {
		t.Errorf("balance %d after copies of one deposit, want 500", f.store.accounts[iban].Balance)
	}

	for result, want := range map[string]float64{ResultConfirmed: 1, ResultDuplicate: 2, ResultRedelivered: 1} {
		if got := f.count(t, ledger.KindMoneyTransfer, result); got != want {
			t.Errorf("transfers %s: %v, want %v", result, got, want)
		}
	}
}

func TestHandleRejectsByTheRules(t *testing.T) {
	f := newFixture(t)
	out := f.handle(t, delivery(0, 0, &records.ConfirmMoneyTransfer{ID: uuid.New(), Amount: 5, From: ident.Cash, To: "NL00NOPE0000000000"}))
	fb, ok := out.msgs[0].Record.(*records.MoneyTransferFailed)
	if len(out.msgs) != 1 || !ok || fb.Reason != ledger.ReasonBothUnknown {
		t.Fatalf("published %+v, want one MoneyTransferFailed %q", out.msgs, ledger.ReasonBothUnknown)
	}
}

func TestHandleDeadLettersAndStillDecidesTheRest(t *testing.T) {
	f := newFixture(t)
	good := delivery(0, 1, &records.ConfirmAccountCreation{ID: uuid.New(), AType: "MANUAL"})
	bad := delivery(0, 2, &records.ConfirmAccountCreation{ID: uuid.New(), AType: "MANUAL"})
	bad.Key = []byte("not-a-uuid")
	out := f.handle(t, bad, good)
	if len(out.dead) != 1 || len(out.msgs) != 1 {
		t.Fatalf("dead letters %d, messages %d; want 1 and 1", len(out.dead), len(out.msgs))
	}
}

func TestHandlePublishesNothingWhenTheStoreFails(t *testing.T) {
	f := newFixture(t)
	f.store.down = errors.New("connection refused")
	f.out = &published{}
	f.h.producer = f.out
	err := f.h.Handle(context.Background(), []messaging.Delivery{delivery(0, 1, &records.ConfirmAccountCreation{ID: uuid.New(), AType: "AUTO"})})
	if !errors.Is(err, f.store.down) || len(f.out.msgs) != 0 {
		t.Fatalf("Handle: %v, published %d; want the store's error and nothing published", err, len(f.out.msgs))
	}
}

// An account's token is derived from its creation's id (the same on a retry),
// only its keyed hash is kept, a transfer with it is confirmed and one with a
// wrong token is refused without keeping anything of that token.
func TestTokensAreDerivedAndOnlyHashesKept(t *testing.T) {
	f := newFixture(t)
	create := &records.ConfirmAccountCreation{ID: uuid.New(), AType: "MANUAL"}
	first := f.handle(t, delivery(0, 1, create)).msgs[0].Record.(*records.AccountCreationConfirmed)
	again := f.handle(t, delivery(1, 1, create)).msgs[0].Record.(*records.AccountCreationConfirmed)
	if first.Token != testKeyed.ForAccount(create.ID) || again.Token != first.Token {
		t.Fatalf("tokens %q and %q, want the one derived from the id", first.Token, again.Token)
	}
	if h := f.store.accounts[first.IBAN].TokenHash; !bytes.Equal(h, testKeyed.Hash(first.Token)) {
		t.Fatalf("account keeps %x, want the token's keyed hash", h)
	}
	f.handle(t, delivery(0, 2, &records.ConfirmMoneyTransfer{ID: uuid.New(), Amount: 100, From: ident.Cash, To: first.IBAN}))
	good := &records.ConfirmMoneyTransfer{ID: uuid.New(), Token: first.Token, Amount: 10, From: first.IBAN, To: ident.Cash}
	bad := &records.ConfirmMoneyTransfer{ID: uuid.New(), Token: "guess-12345678901234", Amount: 10, From: first.IBAN, To: ident.Cash}
	out := f.handle(t, delivery(0, 3, good), delivery(0, 4, bad))
	if fb, ok := out.msgs[len(out.msgs)-1].Record.(*records.MoneyTransferFailed); !ok || fb.Reason != ledger.ReasonInvalidToken {
		t.Fatalf("wrong token answered %+v", out.msgs[len(out.msgs)-1].Record)
	}
	if _, ok := out.msgs[1].Record.(*records.MoneyTransferConfirmed); !ok {
		t.Fatalf("right token answered %+v", out.msgs[1].Record)
	}
	for _, id := range [][16]byte{create.ID, good.ID, bad.ID} {
		if o := f.store.handled[id].Outcome; o.Token != "" || o.Transfer.TokenHash != nil {
			t.Errorf("command %x keeps a token: %+v", id, o)
		}
	}
}
