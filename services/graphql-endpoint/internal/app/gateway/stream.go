package gateway

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"openbank/services/graphql-endpoint/internal/domain/account"
	"openbank/services/graphql-endpoint/internal/domain/transaction"
	"openbank/services/graphql-endpoint/internal/domain/transfer"
)

// streamPage bounds the rows read per partition in one query.
const streamPage = 500

// streamed is, per partition of balance_changed, the last offset handed to
// this instance's subscribers. Rows reach them in offset order, each once,
// whichever way they came: read back by Follow, or handed on by the instance
// that stored them (handStored), which spares a database round trip on the
// way to the stream.
type streamed struct {
	mu   sync.Mutex
	last map[int32]int64 // a partition missing: nothing handed on yet (-1)
	// storing is, per partition, the last offset of the batch this instance
	// is storing now: handStored hands those rows on or kicks Follow, so a
	// notification of them (which can come before the insert returns) needs
	// no read.
	storing map[int32]int64
}

// newStreamed starts the stream after from (partition -> last offset).
func newStreamed(from map[int32]int64) *streamed {
	s := &streamed{last: maps.Clone(from), storing: map[int32]int64{}}
	if s.last == nil {
		s.last = map[int32]int64{}
	}
	return s
}

// beginStoring marks the batch ending at last (partition -> offset) as being
// stored here.
func (s *streamed) beginStoring(last map[int32]int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	maps.Copy(s.storing, last)
}

// endStoring forgets the batch ending at last; s.mu is held.
func (s *streamed) endStoring(last map[int32]int64) {
	for p := range last {
		delete(s.storing, p)
	}
}

func (s *streamed) cursor() map[int32]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.last)
}

func (s *streamed) lastOf(p int32) int64 {
	if o, ok := s.last[p]; ok {
		return o
	}
	return -1
}

// caughtUp says every partition in upTo (partition -> offset) is handed on
// up to its offset here.
func (s *streamed) caughtUp(upTo map[int32]int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for p, o := range upTo {
		if s.lastOf(p) < o && s.storingUpTo(p) < o {
			return false
		}
	}
	return true
}

func (s *streamed) storingUpTo(p int32) int64 {
	if o, ok := s.storing[p]; ok {
		return o
	}
	return -1
}

// Follow hands the rows transactiondb stores after Options.StreamFrom to the
// stream subscribers, each once, until ctx ends: whichever instance stored
// them, so there is one way to the stream. It reads when kicked (a
// notification of rows not handed on yet, or rows stored here that could not
// be handed on directly) and every PollInterval.
func (g *Gateway) Follow(ctx context.Context) {
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
			txs, err := g.store.Stream(ctx, g.streamed.cursor(), streamPage)
			if err != nil {
				if ctx.Err() == nil {
					g.log.Warn("read new transactions", "error", err)
				}
				break
			}
			g.handRead(txs)
			if !fullPage(txs) {
				break
			}
		}
	}
}

// handRead hands on rows Stream read: in each partition every stored row
// after the cursor it was given, in offset order. What was handed on
// meanwhile (handStored) is left out.
func (g *Gateway) handRead(txs []transaction.Transaction) {
	s := g.streamed
	s.mu.Lock()
	defer s.mu.Unlock()
	fresh := txs[:0:0]
	for _, t := range txs {
		if t.Offset > s.lastOf(t.Partition) {
			fresh = append(fresh, t)
			s.last[t.Partition] = t.Offset
		}
	}
	g.publish(fresh)
}

// handStored hands on the rows this instance just stored from a batch of
// balance_changed (first: each partition's first offset in the batch, last:
// its last; inserted: the rows the batch added, in (partition, offset)
// order), and reports whether it could for every partition. It can for a
// partition whose batch begins right after the cursor and whose changes
// were all added by this batch: then inserted holds every stored row of the
// partition up to last, as Stream would read them. Otherwise (a rebalance, a
// redelivered copy) Follow reads them.
func (g *Gateway) handStored(first, last map[int32]int64, changes map[int32]int, inserted []transaction.Transaction) (all bool) {
	s := g.streamed
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endStoring(last)
	all = true
	out := make([]transaction.Transaction, 0, len(inserted))
	rest := inserted
	for _, p := range slices.Sorted(maps.Keys(first)) { // partitions in order, as Follow reads them
		n := 0 // inserted is in partition order: p's rows lead what is left
		for n < len(rest) && rest[n].Partition == p {
			n++
		}
		rows := rest[:n]
		rest = rest[n:]
		switch f := first[p]; {
		case last[p] <= s.lastOf(p): // Follow was quicker
		case f == s.lastOf(p)+1 && len(rows) == changes[p]:
			out = append(out, rows...)
			s.last[p] = last[p]
		default:
			all = false
		}
	}
	g.publish(out)
	return all
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

// storeFailed forgets the batch ending at last, which was not stored: rows
// another instance stored meanwhile are read by Follow.
func (g *Gateway) storeFailed(last map[int32]int64) {
	g.streamed.mu.Lock()
	g.streamed.endStoring(last)
	g.streamed.mu.Unlock()
	g.Kick()
}

// Behind says some partition in upTo (a notification's partition -> newest
// offset stored) is neither handed on that far here nor being stored here
// that far: Follow has rows to read.
func (g *Gateway) Behind(upTo map[int32]int64) bool {
	return !g.streamed.caughtUp(upTo)
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
