package gateway

import (
	"context"
	"time"

	"openbank/services/graphql-endpoint/internal/domain/account"
	"openbank/services/graphql-endpoint/internal/domain/transaction"
	"openbank/services/graphql-endpoint/internal/domain/transfer"
)

// streamPage bounds the rows read per partition in one query.
const streamPage = 500

// Follow hands the rows transactiondb stores after cursor (partition -> last
// offset, store.Cursors) to the stream subscribers, each once, until ctx
// ends: whichever instance stored them, this one included, so there is one
// way to the stream. It reads when kicked (a notification, or this instance
// stored rows) and every PollInterval.
func (g *Gateway) Follow(ctx context.Context, cursor map[int32]int64) {
	tick := time.NewTicker(g.opts.PollInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-g.kick:
		case <-tick.C:
		}
		for ctx.Err() == nil {
			txs, err := g.store.Stream(ctx, cursor, streamPage)
			if err != nil {
				if ctx.Err() == nil {
					g.log.Warn("read new transactions", "error", err)
				}
				break
			}
			g.publish(txs)
			if !fullPage(txs) {
				break
			}
		}
	}
}

func (g *Gateway) publish(txs []transaction.Transaction) {
	if len(txs) == 0 {
		return
	}
	now := time.Now()
	for _, t := range txs {
		if !t.At.Before(g.opts.StreamSince) {
			g.opts.Metrics.StreamLag.Update(now.Sub(t.At).Seconds())
		}
	}
	g.hub.Publish(txs)
}

// fullPage says some partition returned streamPage rows: there may be more.
func fullPage(txs []transaction.Transaction) bool {
	n := map[int32]int{}
	for _, t := range txs {
		if n[t.Partition]++; n[t.Partition] >= streamPage {
			return true
		}
	}
	return false
}

// Kick makes Follow read transactiondb now.
func (g *Gateway) Kick() {
	select {
	case g.kick <- struct{}{}:
	default: // a read is due already
	}
}

// Deliver wakes the requests here that wait for the answers this instance stored.
func (g *Gateway) Deliver(creations []account.Creation, results []transfer.Result) {
	for _, c := range creations {
		g.accounts.Deliver(c.CreationID, c)
	}
	for _, r := range results {
		g.transfers.Deliver(r.ID, r)
	}
}

// Notified wakes the requests here that wait for answers an instance stored
// (a feedback notification from transactiondb). A confirmed account creation
// comes without its token, which is read from transactiondb when someone here
// waits for it; if that fails, the waiting request finds it by looking.
func (g *Gateway) Notified(ctx context.Context, creations []account.Creation, results []transfer.Result) {
	for _, c := range creations {
		if !g.accounts.Waiting(c.CreationID) {
			continue
		}
		if c.IBAN != "" {
			stored, known, err := g.store.CreationOutcome(ctx, c.CreationID)
			if err != nil || !known || stored.IBAN == "" {
				continue
			}
			c = stored
		}
		g.accounts.Deliver(c.CreationID, c)
	}
	for _, r := range results {
		g.transfers.Deliver(r.ID, r)
	}
}

// await waits up to FeedbackTimeout for answer, looking every PollInterval
// whether stored finds it in transactiondb (an answer another instance
// consumed while this one's notification was lost). ok false: no answer in
// time; err: ctx ended or transactiondb failed.
func await[R any](ctx context.Context, g *Gateway, answer <-chan R, stored func(context.Context) (R, bool, error)) (r R, ok bool, err error) {
	timer := time.NewTimer(g.opts.FeedbackTimeout)
	defer timer.Stop()
	tick := time.NewTicker(g.opts.PollInterval)
	defer tick.Stop()
	for {
		select {
		case r := <-answer:
			return r, true, nil
		case <-tick.C:
			r, known, err := stored(ctx)
			if err != nil {
				g.log.Warn("look for a stored answer", "error", err)
			} else if known {
				return r, true, nil
			}
		case <-timer.C:
			return r, false, nil
		case <-ctx.Done():
			return r, false, ctx.Err()
		}
	}
}
