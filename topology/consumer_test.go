package topology

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestRunCommitsWhileHandlingTheNextBatch pins Run's order: a batch's commit
// is in flight while the next batch is handled, commits land one at a time in
// order, and the last lands before Run returns.
func TestRunCommitsWhileHandlingTheNextBatch(t *testing.T) {
	serde := NewSerde(newMemoryRegistry(t))
	recs := commandRecords(t, serde)
	var log []string
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Each commit but the last waits until the next batch's handler lets it
	// go: with commits made between batches, both would wait in vain.
	release := make(chan struct{})
	raw := &memoryConsumer{recs: recs, step: 3, log: &log, stop: cancel, beforeCommit: func(next int64) {
		if next == last {
			return
		}
		select {
		case <-release:
		case <-time.After(5 * time.Second):
			t.Errorf("commit %d was not in flight while the next batch was handled", next)
		}
	}}
	c := &Consumer{raw: raw, serde: serde, opts: ConsumerOptions{MaxBatch: 100}, log: slog.New(slog.DiscardHandler)}
	handle := func(_ context.Context, batch []Delivery) error {
		raw.mu.Lock()
		log = append(log, fmt.Sprintf("handle %d-%d", batch[0].Offset, batch[len(batch)-1].Offset))
		raw.mu.Unlock()
		if batch[0].Offset == 0 {
			return nil
		}
		select {
		case release <- struct{}{}:
		case <-time.After(5 * time.Second):
			t.Errorf("no commit in flight while batch %d-%d was handled", batch[0].Offset, batch[len(batch)-1].Offset)
		}
		return nil
	}
	if err := c.Run(ctx, handle); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(log, "; ")
	want := "handle 0-2; handle 3-5; commit 3; handle 6-8; commit 6; handle 9-11; commit 9; commit 12"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
