package messaging

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

	"github.com/riferrei/srclient"

	"openbank/topology"
	"openbank/topology/records"
	"openbank/topology/serde"
	"openbank/topology/serde/serdetest"
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

func (m *memoryConsumer) Poll(_ context.Context, maxRecords int, _ time.Duration) ([]RawRecord, error) {
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

func (m *memoryConsumer) Commit(_ context.Context, next map[TopicPartition]int64) error {
	o := next[TopicPartition{topology.TopicCommands, 0}]
	if m.beforeCommit != nil {
		m.beforeCommit(o)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.commits = append(m.commits, o)
	*m.log = append(*m.log, fmt.Sprintf("commit %d", o))
	return nil
}

func (m *memoryConsumer) Lag() (int64, error)                   { return 0, nil }
func (m *memoryConsumer) Assignment() ([]TopicPartition, error) { return nil, nil }
func (m *memoryConsumer) Committed(context.Context, []TopicPartition) (map[TopicPartition]int64, error) {
	return nil, nil
}
func (m *memoryConsumer) AllowRebalance() {}
func (m *memoryConsumer) Close() error    { return nil }

// memoryRun is a Consumer over raw that commits at most once per interval.
func memoryRun(raw RawConsumer, codec *serde.Serde, interval time.Duration) *Consumer {
	c := &Consumer{raw: raw, codec: codec, opts: ConsumerOptions{MaxBatch: 100}, log: slog.New(slog.DiscardHandler)}
	c.commits = committer{interval: interval, commit: c.commit}
	return c
}

// commandRecords is a stream of last commands on partition 0, from offset 0.
func commandRecords(t *testing.T, codec *serde.Serde) []RawRecord {
	t.Helper()
	var recs []RawRecord
	for i := range last {
		v, err := codec.Encode(topology.TopicCommands, &records.ConfirmAccountCreation{ID: [16]byte{byte(i)}, AType: records.AtypeManual})
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, RawRecord{Topic: topology.TopicCommands, Offset: int64(i), Value: v})
	}
	return recs
}

// TestRunCommitsWhileHandlingTheNextBatch pins Run's order: a batch's commit
// is in flight while the next batch is handled, commits land one at a time in
// order, and the last lands before Run returns.
func TestRunCommitsWhileHandlingTheNextBatch(t *testing.T) {
	codec := serde.NewSerde(serdetest.NewRegistry())
	recs := commandRecords(t, codec)
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
	c := memoryRun(raw, codec, 0)
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

// TestRunCommitsOncePerIntervalAndWhenIdle: while batches keep coming, one
// commit covers all handled within the interval; when no records come, what
// was handled is committed at once; a revocation commits it first.
func TestRunCommitsOncePerIntervalAndWhenIdle(t *testing.T) {
	codec := serde.NewSerde(serdetest.NewRegistry())
	var log []string
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	raw := &memoryConsumer{recs: commandRecords(t, codec), step: 3, log: &log, stop: cancel}
	c := memoryRun(raw, codec, time.Hour)
	revoked := false
	handle := func(_ context.Context, batch []Delivery) error {
		raw.mu.Lock()
		log = append(log, fmt.Sprintf("handle %d-%d", batch[0].Offset, batch[len(batch)-1].Offset))
		raw.mu.Unlock()
		if batch[0].Offset == 6 && !revoked {
			revoked = true
			c.commits.flush() // as a revocation does
		}
		return nil
	}
	if err := c.Run(ctx, handle); err != nil {
		t.Fatal(err)
	}
	// The first batch's commit is due at once (none began before); 3-5 waits
	// for the interval until the revocation at 6-8; 6-8 and 9-11 wait until
	// no records come.
	if want := []int64{3, 6, 12}; !slices.Equal(raw.commits, want) {
		t.Errorf("commits %v, want %v (log %s)", raw.commits, want, strings.Join(log, "; "))
	}
}

// flakyRegistry fails its first failures schema fetches, as a registry
// that is not up yet.
type flakyRegistry struct {
	serde.Registry
	mu       sync.Mutex
	failures int
}

func (f *flakyRegistry) GetSchema(id int) (*srclient.Schema, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failures > 0 {
		f.failures--
		return nil, errors.New("connection refused")
	}
	return f.Registry.GetSchema(id)
}

// TestDecodeWaitsForTheRegistry: a record whose schema cannot be fetched yet
// is decoded once the registry answers, not dead-lettered.
func TestDecodeWaitsForTheRegistry(t *testing.T) {
	registry := serdetest.NewRegistry()
	recs := commandRecords(t, serde.NewSerde(registry))
	flaky := &flakyRegistry{Registry: registry, failures: 2}
	c := memoryRun(nil, serde.NewSerde(flaky), time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := c.decode(ctx, recs)
	if err != nil || len(got) != len(recs) {
		t.Fatalf("decoded %d of %d records, %v", len(got), len(recs), err)
	}
	for i, d := range got {
		if cmd, ok := d.Record.(*records.ConfirmAccountCreation); !ok || cmd.ID[0] != byte(i) || d.Offset != int64(i) {
			t.Errorf("delivery %d: %+v", i, d)
		}
	}
	if flaky.failures != 0 {
		t.Errorf("%d failures left: the registry was not asked again", flaky.failures)
	}
}
