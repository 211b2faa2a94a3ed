package gateway

import (
	"context"
	"testing"
	"time"

	"openbank/messaging"
	"openbank/services/graphql-endpoint/internal/domain/account"
	"openbank/services/graphql-endpoint/internal/domain/transfer"
	"openbank/topology/ident"
	"openbank/topology/records"
)

// An answer another instance consumed and stored, whose notification never
// came, still answers the waiting request: it looks every PollInterval.
func TestAnswerStoredElsewhereIsFoundByLooking(t *testing.T) {
	ctx := context.Background()
	var g *Gateway
	var st *memStore
	// The command handler answers, but another instance consumes the answer:
	// it reaches only transactiondb, not this gateway.
	answerElsewhere := func(m messaging.Message) []messaging.Delivery {
		go func() {
			time.Sleep(20 * time.Millisecond)
			switch c := m.Record.(type) {
			case *records.ConfirmMoneyTransfer:
				_, _, _ = st.RecordFeedback(ctx, nil, []transfer.Result{{ID: ident.CommandIDFromFixed(c.ID), Known: true, Reason: "insufficient funds"}})
			case *records.ConfirmAccountCreation:
				_, _, _ = st.RecordFeedback(ctx, []account.Creation{{CreationID: ident.CommandIDFromFixed(c.ID), IBAN: "NL66OPEN0000000002", Token: "tok"}}, nil)
			}
		}()
		return nil
	}
	g, st, _, _ = newTestGateway(answerElsewhere)
	g.opts.PollInterval = 50 * time.Millisecond
	cmd := transfer.Command{ID: ident.NewCommandID(), Token: "t", Amount: 100, From: "NL66OPEN0000000001", To: "NL66OPEN0000000003"}
	if r, err := g.MoneyTransfer(ctx, cmd); err != nil || r.Reason != "insufficient funds" {
		t.Errorf("transfer: %+v %v", r, err)
	}
	if r, err := g.GetAccount(ctx, "ines", "password", Open); err != nil || r.IBAN != "NL66OPEN0000000002" || r.Token != "tok" {
		t.Errorf("account: %+v %v", r, err)
	}
}

// A notification carries no token: the waiting request gets it from
// transactiondb.
func TestNotifiedCreationReadsItsToken(t *testing.T) {
	ctx := context.Background()
	var g *Gateway
	var st *memStore
	notify := func(m messaging.Message) []messaging.Delivery {
		c, ok := m.Record.(*records.ConfirmAccountCreation)
		if !ok {
			return nil
		}
		go func() {
			id := ident.CommandIDFromFixed(c.ID)
			stored, _, _ := st.RecordFeedback(ctx, []account.Creation{{CreationID: id, IBAN: "NL66OPEN0000000002", Token: "tok"}}, nil)
			for i := range stored {
				stored[i].Token = "" // as the notification carries it
			}
			g.Notified(ctx, stored, nil)
		}()
		return nil
	}
	g, st, _, _ = newTestGateway(notify)
	g.opts.PollInterval = time.Hour // only the notification can answer
	if r, err := g.GetAccount(ctx, "jan", "password", Open); err != nil || r.IBAN != "NL66OPEN0000000002" || r.Token != "tok" {
		t.Errorf("account: %+v %v", r, err)
	}
}
