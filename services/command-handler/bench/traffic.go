package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/google/uuid"

	"openbank/messaging"
	"openbank/topology"
	"openbank/topology/ident"
	"openbank/topology/records"
)

// generator makes transfers between the bench's accounts, small enough to
// nearly always be confirmed, with a deposit now and then.
type generator struct {
	mu       sync.Mutex
	accounts [][2]string // iban, token
	rnd      *rand.Rand
	n        int
}

func (g *generator) next() (uuid.UUID, messaging.Message) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n++
	id := ident.NewCommandID()
	from := g.accounts[g.rnd.IntN(len(g.accounts))]
	to := g.accounts[g.rnd.IntN(len(g.accounts))]
	cmd := &records.ConfirmMoneyTransfer{ID: id, Token: from[1], Amount: 1 + g.rnd.Int64N(100), From: from[0], To: to[0], Description: "bench"}
	if g.n%10 == 0 {
		cmd.Token, cmd.From = "cash", "cash"
	}
	return id, messaging.Message{Topic: topology.TopicCommands, Key: id.String(), Record: cmd}
}

func openAccounts(ctx context.Context, p *messaging.Producer, fb *feedbackTail, n int) ([][2]string, error) {
	var msgs []messaging.Message
	var ids []uuid.UUID
	for range n {
		id := ident.NewCommandID()
		ids = append(ids, id)
		msgs = append(msgs, messaging.Message{Topic: topology.TopicCommands, Key: id.String(),
			Record: &records.ConfirmAccountCreation{ID: id, AType: records.AtypeAuto}})
		fb.expect(id, time.Now())
	}
	if err := p.Send(ctx, msgs...); err != nil {
		return nil, err
	}
	var accounts [][2]string
	msgs = msgs[:0]
	for _, id := range ids {
		r, err := fb.wait(id, 60*time.Second)
		if err != nil {
			return nil, err
		}
		c, ok := r.(*records.AccountCreationConfirmed)
		if !ok {
			return nil, fmt.Errorf("account creation answered %T", r)
		}
		accounts = append(accounts, [2]string{c.IBAN, c.Token})
		did := ident.NewCommandID()
		fb.expect(did, time.Now())
		msgs = append(msgs, messaging.Message{Topic: topology.TopicCommands, Key: did.String(),
			Record: &records.ConfirmMoneyTransfer{ID: did, Token: "cash", Amount: 1_000_000_000, From: "cash", To: c.IBAN, Description: "bench funds"}})
	}
	if err := p.Send(ctx, msgs...); err != nil {
		return nil, err
	}
	for _, m := range msgs {
		if _, err := fb.wait(m.Record.(*records.ConfirmMoneyTransfer).ID, 60*time.Second); err != nil {
			return nil, err
		}
	}
	return accounts, nil
}
