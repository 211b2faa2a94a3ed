// Package fanout hands each new transaction to the stream subscribers whose
// filters it matches.
package fanout

import (
	"sync"

	"openbank/services/graphql-endpoint/internal/domain/transaction"
	"openbank/services/graphql-endpoint/internal/metrics"
)

// BufferSize is how many transactions a subscriber may fall behind before it
// is ended: one slow client must not hold up everyone else.
const BufferSize = 256

// Hub keeps the subscribers. Subscribers with an iban filter are indexed by
// iban, so an event costs work only for those that may want it. M is what
// subscribers receive: render makes it once per transaction, shared by all.
type Hub[M any] struct {
	render  func(transaction.Transaction) M
	metrics *metrics.Metrics
	mu      sync.RWMutex
	byIBAN  map[string]map[*Subscription[M]]struct{}
	anyIBAN map[*Subscription[M]]struct{}

	// published is the highest row id published per iban. An iban's rows are
	// stored in its partition's order, so their ids only grow: a row id at or
	// below it is a redelivery, however long ago the first delivery was.
	publishedMu sync.Mutex
	published   map[string]int64
}

// NewHub returns a hub without subscribers; m counts what it delivers and
// drops (nil: counted nowhere).
func NewHub[M any](render func(transaction.Transaction) M, m *metrics.Metrics) *Hub[M] {
	if m == nil {
		m = metrics.New(nil)
	}
	return &Hub[M]{
		render:    render,
		metrics:   m,
		byIBAN:    map[string]map[*Subscription[M]]struct{}{},
		anyIBAN:   map[*Subscription[M]]struct{}{},
		published: map[string]int64{},
	}
}

// Subscription is one stream_transactions subscriber.
type Subscription[M any] struct {
	hub    *Hub[M]
	filter transaction.Filter
	c      chan M
	once   sync.Once
}

// C delivers the matching transactions; it is closed when the subscription
// ends (Close, or the subscriber fell BufferSize behind).
func (s *Subscription[M]) C() <-chan M { return s.c }

// Subscribe starts delivering transactions that match f.
func (h *Hub[M]) Subscribe(f transaction.Filter) *Subscription[M] {
	s := &Subscription[M]{hub: h, filter: f, c: make(chan M, BufferSize)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if f.IBAN != nil {
		set := h.byIBAN[*f.IBAN]
		if set == nil {
			set = map[*Subscription[M]]struct{}{}
			h.byIBAN[*f.IBAN] = set
		}
		set[s] = struct{}{}
	} else {
		h.anyIBAN[s] = struct{}{}
	}
	return s
}

// Close ends the subscription; safe to call more than once.
func (s *Subscription[M]) Close() {
	s.once.Do(func() {
		h := s.hub
		h.mu.Lock()
		if s.filter.IBAN != nil {
			if set := h.byIBAN[*s.filter.IBAN]; set != nil {
				delete(set, s)
				if len(set) == 0 {
					delete(h.byIBAN, *s.filter.IBAN)
				}
			}
		} else {
			delete(h.anyIBAN, s)
		}
		h.mu.Unlock()
		close(s.c)
	})
}

// Len is the number of subscribers.
func (h *Hub[M]) Len() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := len(h.anyIBAN)
	for _, set := range h.byIBAN {
		n += len(set)
	}
	return n
}

// Publish hands each transaction to every matching subscriber, once: a row id
// published before (a redelivered record) is skipped.
func (h *Hub[M]) Publish(txs []transaction.Transaction) {
	var slow []*Subscription[M]
	delivered := 0
	h.mu.RLock()
	for _, t := range txs {
		if !h.firstTime(t) {
			continue
		}
		var m M
		rendered := false
		offer := func(s *Subscription[M]) {
			if !s.filter.Matches(t) {
				return
			}
			if !rendered {
				m, rendered = h.render(t), true
			}
			if s.offer(m) {
				delivered++
			} else {
				slow = append(slow, s)
			}
		}
		for s := range h.byIBAN[t.IBAN] {
			offer(s)
		}
		for s := range h.anyIBAN {
			offer(s)
		}
	}
	h.mu.RUnlock()
	h.metrics.EventsFannedOut.Add(delivered)
	for _, s := range slow {
		h.metrics.SubscribersDropped.Inc()
		s.Close()
	}
}

// offer never blocks: false means the subscriber's buffer is full. It runs
// under the hub's read lock, and Close removes a subscriber under the write
// lock before closing its channel, so the channel is still open here.
func (s *Subscription[M]) offer(m M) bool {
	select {
	case s.c <- m:
		return true
	default:
		return false
	}
}

func (h *Hub[M]) firstTime(t transaction.Transaction) bool {
	h.publishedMu.Lock()
	defer h.publishedMu.Unlock()
	if last, ok := h.published[t.IBAN]; ok && t.ID <= last {
		return false
	}
	h.published[t.IBAN] = t.ID
	return true
}
