package topology

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"openbank/topology/records"
)

// memoryConsumer hands out its records in polls of at most step, and records
// every commit and what happened, in order, in log.
type memoryConsumer struct {
	mu      sync.Mutex
	recs    []RawRecord
	step    int
	log     *[]string
	stop    func() // called once every record is handed out and committed
	commits []int64
	// beforeCommit, when set, runs at the start of each commit, unlocked.
	beforeCommit func(next int64)
}

func (m *memoryConsumer) poll(_ context.Context, maxRecords int, _ time.Duration) ([]RawRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := min(maxRecords, m.step, len(m.recs))
	out := m.recs[:n]
	m.recs = m.recs[n:]
	if n == 0 && len(m.commits) > 0 && m.commits[len(m.commits)-1] == last {
		m.stop()
	}
	return out, nil
}

// last is the offset after the last record of a test's stream.
const last = 12

func (m *memoryConsumer) commit(_ context.Context, next map[TopicPartition]int64) error {
	o := next[TopicPartition{TopicCommands, 0}]
	if m.beforeCommit != nil {
		m.beforeCommit(o)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.commits = append(m.commits, o)
	*m.log = append(*m.log, fmt.Sprintf("commit %d", o))
	return nil
}

func (m *memoryConsumer) lag() (int64, error)                   { return 0, nil }
func (m *memoryConsumer) assignment() ([]TopicPartition, error) { return nil, nil }
func (m *memoryConsumer) committed(context.Context, []TopicPartition) (map[TopicPartition]int64, error) {
	return nil, nil
}
func (m *memoryConsumer) allowRebalance() {}
func (m *memoryConsumer) close() error    { return nil }

// commandRecords is a stream of last commands on partition 0, from offset 0.
func commandRecords(t *testing.T, serde *Serde) []RawRecord {
	t.Helper()
	var recs []RawRecord
	for i := range last {
		v, err := serde.Encode(TopicCommands, &records.ConfirmAccountCreation{ID: [16]byte{byte(i)}, AType: records.AtypeManual})
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, RawRecord{Topic: TopicCommands, Offset: int64(i), Value: v})
	}
	return recs
}

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
