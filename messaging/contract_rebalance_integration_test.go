//go:build integration

package messaging_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"openbank/messaging"
	"openbank/messaging/messagingtest"
)

// Two consumers of one group while records keep coming: a second consumer
// joins, handles some, and leaves again.
//
// What at-least-once promises, and what is asserted: every record is handled
// (no loss), and a record is handled again only when the batch that held it
// was not committed: the Consumer commits after its handler returned, and
// such a commit fails only when a rebalance came in between (it logs that the
// records will be read again, with the offsets from the first record not yet
// committed to the one after the last: one commit may cover many batches). So
// a record handled by a consumer that committed it is never handled again.
// With franz-go a partition cannot move while a batch is out or its commit is
// in flight (BlockRebalanceOnPoll, and the revocation waits for the commit):
// its commits do not fail and nothing is handled twice. librdkafka rebalances
// inside its poll, so a batch taken just before a rebalance may fail to commit
// and be handled again, by the new owner or by the same consumer; the test
// reports how many.
func testRebalance(t *testing.T, k *fixture) {
	const partitions, maxBatch, minRecords, chunk = 6, 50, 3000, 100
	topic, group := k.topic(partitions), k.name("rebalance")

	// a record as one consumer read it
	type reading struct {
		consumer  string
		partition int32
		offset    int64
	}
	type handling struct {
		reading
		batch int
	}
	var (
		mu            sync.Mutex
		batches       int
		byBeat        = map[int64][]handling{}
		counts        = map[string]int{}
		failedCommits int
		uncommitted   = map[reading]bool{} // left by a failed commit
	)
	handler := func(name string) messaging.Handler {
		return func(_ context.Context, b []messaging.Delivery) error {
			mu.Lock()
			defer mu.Unlock()
			batches++
			for _, d := range b {
				byBeat[beatOf(d)] = append(byBeat[beatOf(d)], handling{reading{name, d.Partition, d.Offset}, batches})
			}
			counts[name] += len(b)
			return nil
		}
	}
	// The Consumer logs a failed commit with the records it leaves, per
	// partition from first_offsets up to next_offsets.
	logger := func(name string) *slog.Logger {
		return slog.New(&watchLog{Handler: messagingtest.Log(t).Handler(), watch: func(r slog.Record) {
			if r.Message != commitFailed {
				return
			}
			var first, next map[messaging.TopicPartition]int64
			r.Attrs(func(a slog.Attr) bool {
				switch offsets, _ := a.Value.Any().(map[messaging.TopicPartition]int64); a.Key {
				case "first_offsets":
					first = offsets
				case "next_offsets":
					next = offsets
				}
				return true
			})
			mu.Lock()
			defer mu.Unlock()
			failedCommits++
			if len(first) == 0 || len(next) == 0 {
				t.Errorf("a failed commit logged without its offsets: first %v, next %v", first, next)
			}
			for tp, n := range next {
				for o := first[tp]; o < n; o++ {
					uncommitted[reading{name, tp.Partition, o}] = true
				}
			}
		}})
	}
	handledBy := func(name string) int { mu.Lock(); defer mu.Unlock(); return counts[name] }
	opts := messaging.ConsumerOptions{Group: group, Topics: []string{topic}, MaxBatch: maxBatch}

	// The producer keeps producing until the second consumer has come and
	// gone, so both rebalances happen under load whatever the machine's speed;
	// paced (a chunk per tick), so a fast machine does not pile up a backlog
	// that the consumers, not the rebalances, then spend the test on.
	left := make(chan struct{})
	produced := make(chan int, 1)
	p := k.producer()
	go func() {
		n := 0
		defer func() { produced <- n }()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		giveUp := time.After(3 * time.Minute)
		for {
			select {
			case <-left:
				if n >= minRecords {
					return
				}
			case <-giveUp:
				t.Errorf("the second consumer did not come and go within 3 minutes (%d records produced)", n)
				return
			case <-tick.C:
			}
			if err := p.Send(k.ctx(time.Minute), beats(topic, "", n, n+chunk)...); err != nil {
				t.Errorf("produce: %v", err)
				return
			}
			n += chunk
		}
	}()

	k.consumeLogged(opts, logger("a"), handler("a"))
	waitCount(t, handledBy, "a", 300)
	b := k.consumeLogged(opts, logger("b"), handler("b"))
	waitCount(t, handledBy, "b", 300) // it joined and got partitions
	b.close(t)
	close(left)
	n := <-produced
	if t.Failed() {
		return
	}
	k.eventually(2*time.Minute, "every record handled", func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(byBeat) < n {
			return fmt.Errorf("%d of %d records handled", len(byBeat), n)
		}
		return nil
	})

	mu.Lock()
	defer mu.Unlock()
	for beat := int64(0); beat < int64(n); beat++ {
		if len(byBeat[beat]) == 0 {
			t.Fatalf("record %d lost", beat)
		}
	}
	dupes := 0
	for beat, hs := range byBeat {
		dupes += len(hs) - 1
		for _, h := range hs[:len(hs)-1] {
			if !uncommitted[h.reading] {
				t.Errorf("record %d handled again after consumer %s committed it (batch %d; handlings %v)", beat, h.consumer, h.batch, hs)
			}
		}
	}
	t.Logf("%s: %d records in %d batches (a %d, b %d); %d commits failed at a rebalance; %d records handled twice",
		k.client, n, batches, counts["a"], counts["b"], failedCommits, dupes)
	if k.client == messaging.ClientFranz && (dupes > 0 || failedCommits > 0) {
		t.Errorf("%d commits failed, %d records handled twice; with BlockRebalanceOnPoll a partition moves only after its batch is committed", failedCommits, dupes)
	}
}

// commitFailed is what the Consumer logs when a batch's commit fails.
const commitFailed = "commit offsets; the records will be read again"

// watchLog passes every log record on and shows it to watch.
type watchLog struct {
	slog.Handler
	watch func(slog.Record)
}

func (w *watchLog) Handle(ctx context.Context, r slog.Record) error {
	w.watch(r)
	return w.Handler.Handle(ctx, r)
}

func (w *watchLog) WithAttrs(as []slog.Attr) slog.Handler {
	return &watchLog{Handler: w.Handler.WithAttrs(as), watch: w.watch}
}

func (w *watchLog) WithGroup(name string) slog.Handler {
	return &watchLog{Handler: w.Handler.WithGroup(name), watch: w.watch}
}

func waitCount(t *testing.T, count func(string) int, name string, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for count(name) < n {
		if time.Now().After(deadline) || t.Failed() {
			t.Fatalf("consumer %s handled %d records, want %d", name, count(name), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
