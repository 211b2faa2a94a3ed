package messaging

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"openbank/topology/serde"
	"openbank/topology/serde/serdetest"
)

// pipelineRun runs RunStage with Overlap over 12 commands in polls of 3 with a stage
// that logs each begin and acknowledgement; fail says which begin (counted
// from 1) fails, and how.
func pipelineRun(t *testing.T, fail map[int]string) []string {
	t.Helper()
	// Drained only when no records are there, however slow the machine.
	defer func(d time.Duration) { allowRebalanceEvery = d }(allowRebalanceEvery)
	allowRebalanceEvery = time.Hour
	codec := serde.NewSerde(serdetest.NewRegistry())
	recs := commandRecords(t, codec)
	var log []string
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	raw := &memoryConsumer{recs: recs, step: 3, log: &log, stop: cancel}
	c := memoryRun(raw, codec, 0)
	c.opts.Overlap = true
	begun := 0
	note := func(entry string) {
		raw.mu.Lock() // commits are logged from the committer's goroutine
		defer raw.mu.Unlock()
		log = append(log, entry)
	}
	stage := func(_ context.Context, batch []Delivery) (func(context.Context) error, error) {
		begun++
		name := fmt.Sprintf("%d-%d", batch[0].Offset, batch[len(batch)-1].Offset)
		switch fail[begun] {
		case "begin":
			note("begin " + name + " fails")
			return nil, errors.New("database down")
		case "publish":
			note("begin " + name)
			return func(context.Context) error {
				note("publish " + name + " fails")
				return errors.New("not acknowledged")
			}, nil
		}
		note("begin " + name)
		return func(context.Context) error {
			note("acked " + name)
			return nil
		}, nil
	}
	if err := c.RunStage(ctx, stage); err != nil {
		t.Fatal(err)
	}
	if got := raw.commits[len(raw.commits)-1]; got != last {
		t.Errorf("last commit %d, want %d", got, last)
	}
	if !slices.IsSorted(raw.commits) {
		t.Errorf("commits went back: %v", raw.commits)
	}
	return withoutCommits(t, log)
}

// withoutCommits checks that each "commit N" in log comes after the last
// acknowledgement of the batch ending at N-1 (commits run in the background,
// so that is all their place says), and returns the rest of log.
func withoutCommits(t *testing.T, log []string) []string {
	t.Helper()
	lastAck := map[int64]int{} // a batch's last offset → where in log it was last acknowledged
	for i, entry := range log {
		var from, to int64
		if _, err := fmt.Sscanf(entry, "acked %d-%d", &from, &to); err == nil {
			lastAck[to] = i
		}
	}
	var rest []string
	for i, entry := range log {
		var next int64
		if _, err := fmt.Sscanf(entry, "commit %d", &next); err != nil {
			rest = append(rest, entry)
			continue
		}
		if acked, ok := lastAck[next-1]; !ok || i < acked {
			t.Errorf("commit %d before its batch was last acknowledged: %v", next, log)
		}
	}
	return rest
}

func TestPipelineBeginsNextBatchBeforeWaiting(t *testing.T) {
	got := strings.Join(pipelineRun(t, nil), "; ")
	want := "begin 0-2; begin 3-5; acked 0-2; begin 6-8; acked 3-5; begin 9-11; acked 6-8; acked 9-11"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestPipelineFailedPublishHandlesUncommittedBatchesAgainInOrder(t *testing.T) {
	got := strings.Join(pipelineRun(t, map[int]string{2: "publish"}), "; ")
	// 3-5 fails while 6-8 is in flight: both are handled again, one at a
	// time, in order, and nothing after them is begun before.
	want := "begin 0-2; begin 3-5; acked 0-2; begin 6-8; publish 3-5 fails; acked 6-8; " +
		"begin 3-5; acked 3-5; begin 6-8; acked 6-8; begin 9-11; acked 9-11"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestPipelineFailedBeginIsRetriedBeforeAnythingElse(t *testing.T) {
	got := strings.Join(pipelineRun(t, map[int]string{2: "begin"}), "; ")
	want := "begin 0-2; begin 3-5 fails; acked 0-2; begin 3-5; acked 3-5; " +
		"begin 6-8; begin 9-11; acked 6-8; acked 9-11"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
