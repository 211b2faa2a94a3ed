// Package fanout hands each new transaction to the stream subscribers whose
// filters it matches.
package fanout

import (
	"sync"

	"openbank/services/graphql-endpoint/internal/metrics"
	"openbank/services/graphql-endpoint/internal/transaction"
)

// BufferSize is how many transactions a subscriber may fall behind before it
// is ended: one slow client must not hold up everyone else.
const BufferSize = 256

// recentIDs is how many published row ids are remembered to drop a redelivery.
const recentIDs = 16384

// Hub keeps the subscribers. Subscribers with an iban filter are indexed by
// iban, so an event costs work only for those that may want it. M is what
// subscribers receive: render makes it once per transaction, shared by all.
type Hub[M any] struct {
	render  func(transaction.Transaction) M
	mu      sync.RWMutex
	byIBAN  map[string]map[*Subscription[M]]struct{}
	anyIBAN map[*Subscription[M]]struct{}

	seenMu   sync.Mutex
	seen     map[int64]struct{}
	seenRing []int64
	seenNext int
}

// NewHub returns a hub without subscribers.
func NewHub[M any](render func(transaction.Transaction) M) *Hub[M] {
	return &Hub[M]{
		render:   render,
		byIBAN:   map[string]map[*Subscription[M]]struct{}{},
		anyIBAN:  map[*Subscription[M]]struct{}{},
		seen:     make(map[int64]struct{}, recentIDs),
		seenRing: make([]int64, 0, recentIDs),
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
		if !h.firstTime(t.ID) {
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
	metrics.EventsFannedOut.Add(float64(delivered))
	for _, s := range slow {
		metrics.SubscribersDropped.Inc()
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

func (h *Hub[M]) firstTime(id int64) bool {
	h.seenMu.Lock()
	defer h.seenMu.Unlock()
	if _, ok := h.seen[id]; ok {
		return false
	}
	if len(h.seenRing) < recentIDs {
		h.seenRing = append(h.seenRing, id)
	} else {
		delete(h.seen, h.seenRing[h.seenNext])
		h.seenRing[h.seenNext] = id
		h.seenNext = (h.seenNext + 1) % recentIDs
	}
	h.seen[id] = struct{}{}
	return true
}
