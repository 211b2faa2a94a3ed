package topology

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"
)

// pipelineRun runs RunPipelined over 12 commands in polls of 3 with a stage
// that logs each begin and acknowledgement; fail says which begin (counted
// from 1) fails, and how.
func pipelineRun(t *testing.T, fail map[int]string) []string {
	t.Helper()
	// Drained only when no records are there, however slow the machine.
	defer func(d time.Duration) { allowRebalanceEvery = d }(allowRebalanceEvery)
	allowRebalanceEvery = time.Hour
	serde := NewSerde(newMemoryRegistry(t))
	recs := commandRecords(t, serde)
	var log []string
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	raw := &memoryConsumer{recs: recs, step: 3, log: &log, stop: cancel}
	c := &Consumer{raw: raw, serde: serde, opts: ConsumerOptions{MaxBatch: 100}, log: slog.New(slog.DiscardHandler)}
	begun := 0
	stage := func(_ context.Context, batch []Delivery) (func(context.Context) error, error) {
		begun++
		name := fmt.Sprintf("%d-%d", batch[0].Offset, batch[len(batch)-1].Offset)
		switch fail[begun] {
		case "begin":
			log = append(log, "begin "+name+" fails")
			return nil, errors.New("database down")
		case "publish":
			log = append(log, "begin "+name)
			return func(context.Context) error {
				log = append(log, "publish "+name+" fails")
				return errors.New("not acknowledged")
			}, nil
		}
		log = append(log, "begin "+name)
		return func(context.Context) error {
			log = append(log, "acked "+name)
			return nil
		}, nil
	}
	if err := c.RunPipelined(ctx, stage); err != nil {
		t.Fatal(err)
	}
	if got := raw.commits[len(raw.commits)-1]; got != last {
		t.Errorf("last commit %d, want %d", got, last)
	}
	if !slices.IsSorted(raw.commits) {
		t.Errorf("commits went back: %v", raw.commits)
	}
	return log
}

func TestPipelineBeginsNextBatchBeforeWaiting(t *testing.T) {
	got := strings.Join(pipelineRun(t, nil), "; ")
	want := "begin 0-2; begin 3-5; acked 0-2; commit 3; begin 6-8; acked 3-5; commit 6; begin 9-11; acked 6-8; commit 9; acked 9-11; commit 12"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestPipelineFailedPublishHandlesUncommittedBatchesAgainInOrder(t *testing.T) {
	got := strings.Join(pipelineRun(t, map[int]string{2: "publish"}), "; ")
	// 3-5 fails while 6-8 is in flight: both are handled again, one at a
	// time, in order, and nothing after them is begun before.
	want := "begin 0-2; begin 3-5; acked 0-2; commit 3; begin 6-8; publish 3-5 fails; acked 6-8; " +
		"begin 3-5; acked 3-5; commit 6; begin 6-8; acked 6-8; commit 9; begin 9-11; acked 9-11; commit 12"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestPipelineFailedBeginIsRetriedBeforeAnythingElse(t *testing.T) {
	got := strings.Join(pipelineRun(t, map[int]string{2: "begin"}), "; ")
	want := "begin 0-2; begin 3-5 fails; acked 0-2; commit 3; begin 3-5; acked 3-5; commit 6; " +
		"begin 6-8; begin 9-11; acked 6-8; commit 9; acked 9-11; commit 12"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
