package messaging_test

// One contract, every Kafka client: each case runs once per client
// (TestContract/franz/OrderPerKey, TestContract/librdkafka/...) against the
// real broker of deploy/test-stack.sh (contract_integration_test.go), and
// the cases that need no broker of their own also run against the
// in-process client of openbank/messaging/memory in every unit-test run
// (TestContractInMemory), as watermill proves its in-memory Pub/Sub with
// its shared suite. Each case makes its own topics (unique names, Heartbeat
// records whose beat numbers them), so the cases do not depend on the
// synchronizer's topics or on each other.

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"openbank/messaging"
	"openbank/messaging/memory"
	"openbank/messaging/messagingtest"
	"openbank/topology"
	"openbank/topology/records"
	"openbank/topology/serde"
	"openbank/topology/serde/serdetest"
)

func TestMain(m *testing.M) {
	// The crash case re-executes this binary as a consumer it can kill -9.
	if os.Getenv(childEnv) != "" {
		os.Exit(runChild())
	}
	os.Exit(m.Run())
}

// contractCase is one case of the contract; broker says it needs a real
// broker (another process, the wire, a network listener).
type contractCase struct {
	name   string
	run    func(t *testing.T, k *fixture)
	broker bool
}

var contractCases = []contractCase{
	{"OrderPerKey", testOrderPerKey, false},
	{"Headers", testHeaders, false},
	{"HandlerErrorRedelivers", testHandlerErrorRedelivers, false},
	{"ShutdownCommits", testShutdownCommits, false},
	{"Lag", testLag, false},
	{"KilledConsumerLeavesRecords", testKilledConsumerLeavesRecords, true},
	{"DeadLetters", testDeadLetters, false},
	{"GroupStart", testGroupStart, false},
	{"ReaderStart", testReaderStart, false},
	{"ReadToEnd", testReadToEnd, false},
	{"LastRecord", testLastRecord, false},
	{"Admin", testAdmin, false},
	{"PartitionPerKey", testPartitionPerKey, false},
	{"ProducerBurst", testProducerBurst, false},
}

// TestContractInMemory runs the cases that need no broker against the
// in-process client.
func TestContractInMemory(t *testing.T) {
	for _, c := range contractCases {
		if !c.broker {
			t.Run(c.name, func(t *testing.T) { c.run(t, newMemoryFixture(t)) })
		}
	}
}

// fixture is what a case needs: the settings with the client under test, and
// helpers that make topics and record sequences.
type fixture struct {
	t      *testing.T
	client string
	cfg    messaging.Config
	serde  *serde.Serde
	admin  *messaging.Admin
	// register adds a record schema under a subject, as the synchronizer does.
	register func(subject, schema string) error
}

// newMemoryFixture is a fixture for a cluster of the in-process client of this test
// alone, with an in-memory schema registry.
func newMemoryFixture(t *testing.T) *fixture {
	cfg := messaging.Config{Client: memory.Name, Brokers: "memory/" + t.Name(), ClientID: "contract-memory"}
	registry := serdetest.NewRegistry()
	return newFixtureWith(t, cfg, serde.NewSerde(registry), func(subject, schema string) error {
		registry.Add(subject, schema)
		return nil
	})
}

func newFixtureWith(t *testing.T, cfg messaging.Config, codec *serde.Serde, register func(subject, schema string) error) *fixture {
	admin, err := messaging.NewAdmin(cfg, messagingtest.Log(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(admin.Close)
	return &fixture{t: t, client: cfg.Client, cfg: cfg, admin: admin, serde: codec, register: register}
}

func (k *fixture) ctx(d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	k.t.Cleanup(cancel)
	return ctx
}

// name is unique for this run, client and case.
func (k *fixture) name(what string) string {
	return fmt.Sprintf("contract-%s-%s-%s", k.client, what, uuid.NewString()[:8])
}

// topic creates a fresh topic whose Heartbeat records the Serde can encode
// and decode (its subject is registered, as the synchronizer does for the
// bank's topics); it is deleted when the test ends.
func (k *fixture) topic(partitions int) string {
	k.t.Helper()
	topic := k.name(strings.ToLower(strings.ReplaceAll(k.t.Name()[strings.LastIndex(k.t.Name(), "/")+1:], "_", "-")))
	k.rawTopic(topic, partitions)
	hb := &records.Heartbeat{}
	if err := k.register(topology.Subject(topic, hb), hb.Schema().String()); err != nil {
		k.t.Fatalf("register the Heartbeat schema for %s: %v", topic, err)
	}
	return topic
}

// rawTopic creates a topic without a schema (a dead-letter topic).
func (k *fixture) rawTopic(topic string, partitions int) {
	k.t.Helper()
	if err := k.admin.CreateTopic(k.ctx(30*time.Second), topic, partitions, 1, nil); err != nil {
		k.t.Fatal(err)
	}
	k.t.Cleanup(func() {
		if err := k.admin.DeleteTopic(context.Background(), topic); err != nil {
			k.t.Logf("clean up: %v", err)
		}
	})
	// A new topic's partitions need a leader before they take records.
	k.eventually(30*time.Second, "topic "+topic+" has leaders", func() error {
		marks, err := k.admin.Watermarks(k.ctx(10*time.Second), topic)
		if err == nil && len(marks) != partitions {
			err = fmt.Errorf("%d partitions of %d", len(marks), partitions)
		}
		return err
	})
}

// eventually retries check until it returns nil, failing the test after limit.
func (k *fixture) eventually(limit time.Duration, what string, check func() error) {
	k.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			k.t.Fatalf("%s: not within %s: %v", what, limit, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (k *fixture) producer() *messaging.Producer {
	k.t.Helper()
	p, err := messaging.NewProducer(k.cfg, k.serde, messagingtest.Log(k.t))
	if err != nil {
		k.t.Fatal(err)
	}
	k.t.Cleanup(p.Close)
	return p
}

// beats produces Heartbeat records numbered from..to-1 to topic under key
// (beat number as key when key is "").
func beats(topic, key string, from, to int) []messaging.Message {
	msgs := make([]messaging.Message, 0, to-from)
	for i := from; i < to; i++ {
		k := key
		if k == "" {
			k = fmt.Sprint(i)
		}
		msgs = append(msgs, messaging.Message{Topic: topic, Key: k, Record: &records.Heartbeat{Beat: int64(i)}})
	}
	return msgs
}

func (k *fixture) send(p *messaging.Producer, msgs ...messaging.Message) {
	k.t.Helper()
	if err := p.Send(k.ctx(time.Minute), msgs...); err != nil {
		k.t.Fatal(err)
	}
}

func beatOf(d messaging.Delivery) int64 { return d.Record.(*records.Heartbeat).Beat }

// handled collects what a consumer's handler got, batch by batch.
type handled struct {
	mu      sync.Mutex
	batches [][]messaging.Delivery
	changed chan struct{}
}

func newHandled() *handled { return &handled{changed: make(chan struct{})} }

func (h *handled) add(batch []messaging.Delivery) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.batches = append(h.batches, append([]messaging.Delivery(nil), batch...))
	close(h.changed)
	h.changed = make(chan struct{})
}

func (h *handled) all() []messaging.Delivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []messaging.Delivery
	for _, b := range h.batches {
		out = append(out, b...)
	}
	return out
}

// waitFor waits until at least n deliveries were handled.
func (h *handled) waitFor(t *testing.T, n int, limit time.Duration) []messaging.Delivery {
	t.Helper()
	deadline := time.After(limit)
	for {
		h.mu.Lock()
		changed := h.changed
		h.mu.Unlock()
		if all := h.all(); len(all) >= n {
			return all
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("%d deliveries handled within %s, want %d", len(h.all()), limit, n)
		}
	}
}

// running is a Consumer whose Run goes on in the background until stop.
type running struct {
	c    *messaging.Consumer
	stop context.CancelFunc
	done chan error
	once sync.Once
}

// consume runs a consumer of opts with handle until the test ends or stop.
func (k *fixture) consume(opts messaging.ConsumerOptions, dead *messaging.Producer, handle messaging.Handler) *running {
	k.t.Helper()
	return k.run(opts, dead, messagingtest.Log(k.t), handle)
}

func (k *fixture) run(opts messaging.ConsumerOptions, dead *messaging.Producer, log *slog.Logger, handle messaging.Handler) *running {
	k.t.Helper()
	c, err := messaging.NewConsumer(k.cfg, k.serde, dead, opts, log)
	if err != nil {
		k.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{c: c, stop: cancel, done: make(chan error, 1)}
	go func() { r.done <- c.Run(ctx, handle) }()
	k.t.Cleanup(func() { r.close(k.t) })
	return r
}

// close stops Run, checks it ended without error and leaves the group,
// once: a second call (the test's cleanup after the test closed it from a
// goroutine) waits until the first is done.
func (r *running) close(t *testing.T) {
	r.once.Do(func() {
		r.stop()
		if err := <-r.done; err != nil {
			t.Errorf("consumer run: %v", err)
		}
		if err := r.c.Close(); err != nil {
			t.Errorf("consumer close: %v", err)
		}
	})
}

// reader opens a Reader closed when the test ends.
func (k *fixture) reader(start map[messaging.TopicPartition]int64, group string) *messaging.Reader {
	k.t.Helper()
	r, err := messaging.NewReader(k.cfg, start, group, messagingtest.Log(k.t))
	if err != nil {
		k.t.Fatal(err)
	}
	k.t.Cleanup(func() { _ = r.Close() })
	return r
}

// readUntil polls r until done says the records so far are enough.
func (k *fixture) readUntil(r *messaging.Reader, limit time.Duration, done func([]messaging.RawRecord) bool) []messaging.RawRecord {
	k.t.Helper()
	ctx := k.ctx(limit)
	var got []messaging.RawRecord
	for !done(got) {
		recs, err := r.PollBatch(ctx, 500, 5*time.Millisecond)
		if err != nil {
			k.t.Fatal(err)
		}
		got = append(got, recs...)
		if ctx.Err() != nil {
			k.t.Fatalf("read %d records within %s; not enough", len(got), limit)
		}
	}
	return got
}

// partitionsOf returns topic's partitions at offset from.
func (k *fixture) partitionsOf(from int64, topic string) map[messaging.TopicPartition]int64 {
	k.t.Helper()
	start, err := k.admin.Partitions(k.ctx(30*time.Second), from, topic)
	if err != nil {
		k.t.Fatal(err)
	}
	return start
}
