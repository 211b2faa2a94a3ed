package topology

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
	commit   func(next map[TopicPartition]int64) // synchronous; logs a failure
	// turn lets one caller at a time begin a commit: Run's goroutine, or a
	// revocation's.
	turn    sync.Mutex
	mu      sync.Mutex
	pending map[TopicPartition]int64 // handled, not yet being committed
	last    time.Time                // when the last commit began
	done    chan struct{}            // closed when the last commit begun has ended
}

// handled adds a batch's next offsets and begins a commit when one is due.
func (k *committer) handled(next map[TopicPartition]int64) {
	k.mu.Lock()
	if k.pending == nil {
		k.pending = make(map[TopicPartition]int64, len(next))
	}
	for tp, o := range next {
		k.pending[tp] = max(k.pending[tp], o)
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
	next := k.pending
	if len(next) == 0 {
		k.mu.Unlock()
		return
	}
	done := make(chan struct{})
	k.pending, k.last, k.done = nil, time.Now(), done
	k.mu.Unlock()
	go func() {
		defer close(done)
		k.commit(next)
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

// commit stores next, the offsets after what was handled. A failed commit
// only means these records may be read again, which handlers tolerate, so it
// is logged.
func (c *Consumer) commit(next map[TopicPartition]int64) {
	if err := c.raw.commit(context.Background(), next); err != nil {
		c.log.Warn("commit offsets; the records will be read again", "error", err, "next_offsets", next)
	}
}

// nextOffsets is, per partition, the offset after the last of msgs.
func nextOffsets(msgs []RawRecord) map[TopicPartition]int64 {
	next := map[TopicPartition]int64{}
	for _, m := range msgs {
		tp := TopicPartition{m.Topic, m.Partition}
		next[tp] = max(next[tp], m.Offset+1)
	}
	return next
}
