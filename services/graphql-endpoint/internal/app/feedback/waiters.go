// Package feedback lets requests wait for the command handler's answer to the
// command they sent, matched by command id.
package feedback

import (
	"sync"

	"openbank/topology/ident"
)

// Waiters hands an answer of type R to everyone waiting for its command id.
type Waiters[R any] struct {
	mu      sync.Mutex
	waiting map[ident.CommandID][]chan R
}

// NewWaiters returns an empty set of waiters.
func NewWaiters[R any]() *Waiters[R] {
	return &Waiters[R]{waiting: map[ident.CommandID][]chan R{}}
}

// Wait registers interest in id's answer. Register before sending the command
// (or before checking whether the answer is already stored), so the answer
// cannot slip past. Call cancel when done waiting.
func (w *Waiters[R]) Wait(id ident.CommandID) (answer <-chan R, cancel func()) {
	ch := make(chan R, 1)
	w.mu.Lock()
	w.waiting[id] = append(w.waiting[id], ch)
	w.mu.Unlock()
	return ch, func() { w.remove(id, ch) }
}

func (w *Waiters[R]) remove(id ident.CommandID, ch chan R) {
	w.mu.Lock()
	defer w.mu.Unlock()
	list := w.waiting[id]
	for i, c := range list {
		if c == ch {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(w.waiting, id)
	} else {
		w.waiting[id] = list
	}
}

// Deliver gives r to everyone waiting for id and forgets them.
func (w *Waiters[R]) Deliver(id ident.CommandID, r R) {
	w.mu.Lock()
	list := w.waiting[id]
	delete(w.waiting, id)
	w.mu.Unlock()
	for _, ch := range list {
		ch <- r // buffered 1 and delivered once: never blocks
	}
}

// Waiting says whether anyone waits for id.
func (w *Waiters[R]) Waiting(id ident.CommandID) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.waiting[id]) > 0
}

// Len is the number of command ids waited for.
func (w *Waiters[R]) Len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.waiting)
}
