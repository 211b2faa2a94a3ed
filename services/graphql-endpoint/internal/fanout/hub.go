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
// iban, so an event costs work only for those that may want it.
type Hub struct {
	mu      sync.RWMutex
	byIBAN  map[string]map[*Subscription]struct{}
	anyIBAN map[*Subscription]struct{}

	seenMu   sync.Mutex
	seen     map[int64]struct{}
	seenRing []int64
	seenNext int
}

// NewHub returns a hub without subscribers.
func NewHub() *Hub {
	return &Hub{
		byIBAN:   map[string]map[*Subscription]struct{}{},
		anyIBAN:  map[*Subscription]struct{}{},
		seen:     make(map[int64]struct{}, recentIDs),
		seenRing: make([]int64, 0, recentIDs),
	}
}

// Subscription is one stream_transactions subscriber.
type Subscription struct {
	hub    *Hub
	filter transaction.Filter
	c      chan transaction.Transaction
	once   sync.Once
}

// C delivers the matching transactions; it is closed when the subscription
// ends (Close, or the subscriber fell BufferSize behind).
func (s *Subscription) C() <-chan transaction.Transaction { return s.c }

// Subscribe starts delivering transactions that match f.
func (h *Hub) Subscribe(f transaction.Filter) *Subscription {
	s := &Subscription{hub: h, filter: f, c: make(chan transaction.Transaction, BufferSize)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if f.IBAN != nil {
		set := h.byIBAN[*f.IBAN]
		if set == nil {
			set = map[*Subscription]struct{}{}
			h.byIBAN[*f.IBAN] = set
		}
		set[s] = struct{}{}
	} else {
		h.anyIBAN[s] = struct{}{}
	}
	return s
}

// Close ends the subscription; safe to call more than once.
func (s *Subscription) Close() {
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
func (h *Hub) Len() int {
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
func (h *Hub) Publish(txs []transaction.Transaction) {
	var slow []*Subscription
	delivered := 0
	h.mu.RLock()
	for _, t := range txs {
		if !h.firstTime(t.ID) {
			continue
		}
		for s := range h.byIBAN[t.IBAN] {
			if s.filter.Matches(t) {
				if s.offer(t) {
					delivered++
				} else {
					slow = append(slow, s)
				}
			}
		}
		for s := range h.anyIBAN {
			if s.filter.Matches(t) {
				if s.offer(t) {
					delivered++
				} else {
					slow = append(slow, s)
				}
			}
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
func (s *Subscription) offer(t transaction.Transaction) bool {
	select {
	case s.c <- t:
		return true
	default:
		return false
	}
}

func (h *Hub) firstTime(id int64) bool {
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
