package messaging

import (
	"context"
	"sync"
	"time"
)

// committer commits handled offsets in the background, one commit at a time
// so they land in the order the batches were handled, and at most once per
// interval while batches keep coming: under load one commit (a round trip,
// and a record in __consumer_offsets) covers many batches.
type committer struct {
	interval time.Duration
	commit   func(span offsetSpan) // synchronous; logs a failure
	// turn lets one caller at a time begin a commit: Run's goroutine, or a
	// revocation's.
	turn    sync.Mutex
	mu      sync.Mutex
	pending offsetSpan    // handled, not yet being committed
	last    time.Time     // when the last commit began
	done    chan struct{} // closed when the last commit begun has ended
}

// offsetSpan is, per partition, the records handled and not yet committed:
// from first up to (not including) next. A commit stores next; first is only
// for the log, which says what a failed commit leaves to be read again.
type offsetSpan struct {
	first, next map[TopicPartition]int64
}

// handled adds a batch's records and begins a commit when one is due.
func (k *committer) handled(msgs []RawRecord) {
	k.mu.Lock()
	if k.pending.next == nil {
		k.pending = offsetSpan{first: map[TopicPartition]int64{}, next: map[TopicPartition]int64{}}
	}
	for _, m := range msgs {
		tp := TopicPartition{m.Topic, m.Partition}
		if f, ok := k.pending.first[tp]; !ok || m.Offset < f {
			k.pending.first[tp] = m.Offset
		}
		k.pending.next[tp] = max(k.pending.next[tp], m.Offset+1)
	}
	due := time.Since(k.last) >= k.interval
	k.mu.Unlock()
	if due {
		k.start()
	}
}

// start waits for the commit in flight, then begins committing what is
// pending, if anything.
func (k *committer) start() {
	k.turn.Lock()
	defer k.turn.Unlock()
	k.wait()
	k.mu.Lock()
	span := k.pending
	if len(span.next) == 0 {
		k.mu.Unlock()
		return
	}
	done := make(chan struct{})
	k.pending, k.last, k.done = offsetSpan{}, time.Now(), done
	k.mu.Unlock()
	go func() {
		defer close(done)
		k.commit(span)
	}()
}

// wait returns once no commit is in flight.
func (k *committer) wait() {
	k.mu.Lock()
	done := k.done
	k.mu.Unlock()
	if done != nil {
		<-done
	}
}

// flush commits everything handled and returns once the commit has ended.
func (k *committer) flush() {
	k.start()
	k.wait()
}

// commit stores span's next offsets, those after what was handled. A failed
// commit only means these records may be read again, which handlers
// tolerate, so it is logged with the records it leaves.
func (c *Consumer) commit(span offsetSpan) {
	if err := c.raw.Commit(context.Background(), span.next); err != nil {
		c.log.Warn("commit offsets; the records will be read again", "error", err,
			"first_offsets", span.first, "next_offsets", span.next)
	}
}
