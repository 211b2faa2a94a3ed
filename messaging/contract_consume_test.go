package messaging_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"openbank/kit/env"
	"openbank/messaging"
	"openbank/messaging/messagingtest"
	"openbank/topology"
	"openbank/topology/records"
	"openbank/topology/serde"
)

// Many keys, many records, one producer: the group consumer sees each key's
// records in the order they were produced.
func testOrderPerKey(t *testing.T, k *fixture) {
	const keys, perKey = 40, 50
	topic := k.topic(6)
	var msgs []messaging.Message
	for i := range perKey {
		for key := range keys {
			msgs = append(msgs, messaging.Message{Topic: topic, Key: fmt.Sprintf("key-%d", key),
				Record: &records.Heartbeat{Beat: int64(i)}})
		}
	}
	k.send(k.producer(), msgs...)

	h := newHandled()
	k.consume(messaging.ConsumerOptions{Group: k.name("order"), Topics: []string{topic}, MaxBatch: 100},
		nil, func(_ context.Context, b []messaging.Delivery) error { h.add(b); return nil })
	got := h.waitFor(t, keys*perKey, time.Minute)

	next := map[string]int64{}
	for _, d := range got {
		key := string(d.Key)
		if beatOf(d) != next[key] {
			t.Fatalf("key %s: record %d after %d: order per key broken", key, beatOf(d), next[key]-1)
		}
		next[key]++
	}
	if len(next) != keys || len(got) != keys*perKey {
		t.Fatalf("%d records of %d keys, want %d of %d", len(got), len(next), keys*perKey, keys)
	}
}

// Headers come back as they were sent: order, repeated keys and empty values
// kept, through the group consumer and the reader alike.
func testHeaders(t *testing.T, k *fixture) {
	topic := k.topic(1)
	headers := []messaging.Header{
		{Key: "trace", Value: []byte("a")},
		{Key: "empty", Value: []byte{}},
		{Key: "trace", Value: []byte("b")},
		messaging.CommandIDHeader("6a1f0c3e-0000-4000-8000-000000000001"),
		{Key: "binary", Value: []byte{0, 1, 2, 255}},
	}
	p := k.producer()
	msgs := beats(topic, "", 0, 2)
	msgs[0].Headers = headers // the second has none
	k.send(p, msgs...)

	same := func(got []messaging.Header, want []messaging.Header) error {
		if len(got) != len(want) {
			return fmt.Errorf("%d headers %v, want %d %v", len(got), got, len(want), want)
		}
		for i := range want {
			if got[i].Key != want[i].Key || string(got[i].Value) != string(want[i].Value) {
				return fmt.Errorf("header %d is %s=%q, want %s=%q", i, got[i].Key, got[i].Value, want[i].Key, want[i].Value)
			}
		}
		return nil
	}

	h := newHandled()
	k.consume(messaging.ConsumerOptions{Group: k.name("headers"), Topics: []string{topic}},
		nil, func(_ context.Context, b []messaging.Delivery) error { h.add(b); return nil })
	got := h.waitFor(t, 2, time.Minute)
	if err := same(got[0].Headers, headers); err != nil {
		t.Errorf("consumer: %v", err)
	}
	if got[0].Header("trace") != "a" || got[0].Header(topology.HeaderCommandID) == "" {
		t.Errorf("Delivery.Header: trace=%q command-id=%q", got[0].Header("trace"), got[0].Header(topology.HeaderCommandID))
	}
	if err := same(got[1].Headers, nil); err != nil {
		t.Errorf("consumer, record without headers: %v", err)
	}

	recs := k.readUntil(k.reader(k.partitionsOf(messaging.OffsetBeginning, topic), ""), time.Minute,
		func(r []messaging.RawRecord) bool { return len(r) >= 2 })
	if err := same(recs[0].Headers, headers); err != nil {
		t.Errorf("reader: %v", err)
	}
	if string(recs[0].Key) != "0" {
		t.Errorf("reader: key %q, want 0", recs[0].Key)
	}
}

// A handler error offers the same batch again, nothing skipped, and its
// offsets are committed only after the handler returned nil.
func testHandlerErrorRedelivers(t *testing.T, k *fixture) {
	topic := k.topic(1)
	group := k.name("retry")
	k.send(k.producer(), beats(topic, "one", 0, 20)...)

	var mu sync.Mutex
	var calls [][]int64
	committedAtFailure := map[int32]int64{}
	h := newHandled()
	k.consume(messaging.ConsumerOptions{Group: group, Topics: []string{topic}, MaxBatch: 7},
		nil, func(ctx context.Context, b []messaging.Delivery) error {
			mu.Lock()
			var offs []int64
			for _, d := range b {
				offs = append(offs, d.Offset)
			}
			calls = append(calls, offs)
			n := len(calls)
			mu.Unlock()
			if n <= 2 { // the first batch fails twice
				c, err := k.admin.Committed(ctx, group, topic)
				if err != nil {
					return fmt.Errorf("read committed: %w", err)
				}
				if n == 2 {
					committedAtFailure = c
				}
				return errors.New("handler failed on purpose")
			}
			h.add(b)
			return nil
		})
	got := h.waitFor(t, 20, time.Minute)

	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(calls[0]) != fmt.Sprint(calls[1]) || fmt.Sprint(calls[1]) != fmt.Sprint(calls[2]) {
		t.Fatalf("failed batch offered again as %v, then %v; first %v", calls[1], calls[2], calls[0])
	}
	if len(committedAtFailure) != 0 {
		t.Errorf("offsets %v committed while the handler was still failing", committedAtFailure)
	}
	for i, d := range got {
		if d.Offset != int64(i) {
			t.Fatalf("record %d handled at offset %d: skipped or repeated (%v)", i, d.Offset, calls)
		}
	}
	k.eventually(30*time.Second, "offsets committed after handling", func() error {
		c, err := k.admin.Committed(k.ctx(10*time.Second), group, topic)
		if err == nil && c[0] != 20 {
			err = fmt.Errorf("committed %v, want partition 0 at 20", c)
		}
		return err
	})
}

// A batch being handled when shutdown starts is still finished and
// committed: Run returns only after that.
func testShutdownCommits(t *testing.T, k *fixture) {
	topic, group := k.topic(1), k.name("shutdown")
	k.send(k.producer(), beats(topic, "one", 0, 5)...)
	inHandler, release := make(chan int64), make(chan struct{})
	r := k.consume(messaging.ConsumerOptions{Group: group, Topics: []string{topic}},
		nil, func(ctx context.Context, b []messaging.Delivery) error {
			inHandler <- b[len(b)-1].Offset
			<-release
			return ctx.Err() // the handler's context outlives the shutdown
		})
	last := <-inHandler
	r.stop()
	close(release)
	if err := <-r.done; err != nil {
		t.Fatalf("run: %v", err)
	}
	r.done <- nil // for the cleanup's close
	c, err := k.admin.Committed(k.ctx(30*time.Second), group, topic)
	if err != nil {
		t.Fatal(err)
	}
	if c[0] != last+1 {
		t.Fatalf("after shutdown the group committed %v, want partition 0 at %d", c, last+1)
	}
}

// Lag counts what the consumer has not read yet of its partitions.
func testLag(t *testing.T, k *fixture) {
	topic := k.topic(1)
	k.send(k.producer(), beats(topic, "one", 0, 10)...)
	var lags []int64
	h := newHandled()
	var r *running
	started := make(chan struct{})
	r = k.consume(messaging.ConsumerOptions{Group: k.name("lag"), Topics: []string{topic}, MaxBatch: 2},
		nil, func(_ context.Context, b []messaging.Delivery) error {
			<-started
			lag, err := r.c.Lag()
			if err != nil {
				return err
			}
			if len(lags) == 0 || b[len(b)-1].Offset == 9 {
				lags = append(lags, lag, b[len(b)-1].Offset)
			}
			h.add(b)
			return nil
		})
	close(started)
	h.waitFor(t, 10, time.Minute)
	// After the first batch of at most 2, the other records are behind;
	// after the last, none.
	if len(lags) != 4 || lags[0] != 9-lags[1] || lags[2] != 0 {
		t.Fatalf("lag, last offset read: %v; want 9-offset after the first batch, 0 after the last", lags)
	}
}

// The crash child: a consumer in another process that handles and commits
// batches until one holds an offset from CONTRACT_HANG_FROM on; it hangs in
// the handler on that one until it is killed -9, so its commit never happens.
const childEnv = "CONTRACT_CRASH_CHILD"

func runChild() int {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	env := env.New()
	cfg := messaging.ReadConfig(env, "contract-child")
	hangFrom := int64(env.Int("CONTRACT_HANG_FROM", 0, 0, 1<<30, "the beat from which the child hangs"))
	if err := env.Err(); err != nil {
		log.Error("child", "error", err)
		return 2
	}
	opts := messaging.ConsumerOptions{Group: os.Getenv("CONTRACT_GROUP"), Topics: []string{os.Getenv("CONTRACT_TOPIC")},
		SessionTimeout: 6 * time.Second} // the broker's least, so the test waits little for the dead member
	c, err := messaging.NewConsumer(cfg, serde.NewSerde(serde.NewRegistry(cfg.Registry())), nil, opts, log)
	if err != nil {
		log.Error("child", "error", err)
		return 2
	}
	err = c.Run(context.Background(), func(_ context.Context, b []messaging.Delivery) error {
		first, last := b[0].Offset, b[len(b)-1].Offset
		if last >= hangFrom {
			fmt.Printf("hanging %d %d\n", first, last)
			select {} // killed here, before the commit
		}
		fmt.Printf("handled %d %d\n", first, last)
		return nil
	})
	log.Error("child: run ended", "error", err)
	return 2
}

// A consumer killed -9 before it committed leaves its batch to the next
// consumer of the group; what it committed is not read again.
func testKilledConsumerLeavesRecords(t *testing.T, k *fixture) {
	topic, group := k.topic(1), k.name("crash")
	p := k.producer()
	k.send(p, beats(topic, "one", 0, 5)...)
	child := messagingtest.Start(t, os.Args[0], childEnv+"=1", "CONTRACT_GROUP="+group,
		"CONTRACT_TOPIC="+topic, "CONTRACT_HANG_FROM=5", "KAFKA_CLIENT="+k.client)
	k.eventually(time.Minute, "the child commits 0..4", func() error {
		if !child.Running() {
			t.Fatalf("the child exited:\n%s", child.Output())
		}
		c, err := k.admin.Committed(k.ctx(10*time.Second), group, topic)
		if err == nil && c[0] != 5 {
			err = fmt.Errorf("committed %v, want partition 0 at 5", c)
		}
		return err
	})
	k.send(p, beats(topic, "one", 5, 10)...)
	var hanging string
	k.eventually(time.Minute, "the child hangs on 5..", func() error {
		for _, l := range strings.Split(child.Output(), "\n") {
			if strings.HasPrefix(l, "hanging ") {
				hanging = l
				return nil
			}
		}
		return errors.New("not yet")
	})
	if !strings.HasPrefix(hanging, "hanging 5 ") {
		t.Fatalf("child: %q, want a batch from offset 5", hanging)
	}
	child.Kill()

	// The next consumer of the group takes over once the dead member's
	// session has timed out.
	h := newHandled()
	k.consume(messaging.ConsumerOptions{Group: group, Topics: []string{topic}},
		nil, func(_ context.Context, b []messaging.Delivery) error { h.add(b); return nil })
	got := h.waitFor(t, 5, time.Minute)
	if got[0].Offset != 5 || len(got) != 5 || got[4].Offset != 9 {
		t.Fatalf("next consumer read %d records from offset %d, want 5..9 again", len(got), got[0].Offset)
	}
}

// An undecodable record goes to the dead-letter topic byte for byte with
// headers naming its origin and the reason; the consumer goes on.
func testDeadLetters(t *testing.T, k *fixture) {
	topic := k.topic(1)
	dlt := k.name("dead-letter")
	k.rawTopic(dlt, 1)
	p := k.producer()
	k.send(p, beats(topic, "", 0, 1)...)
	garbage := []messaging.RawMessage{
		{Topic: topic, Key: []byte("bad-1"), Value: []byte("not avro at all"),
			Headers: []messaging.Header{{Key: "trace", Value: []byte("t-1")}}},
		// The wire format's magic byte with a schema id the registry does not know.
		{Topic: topic, Key: []byte("bad-2"), Value: []byte{0, 0x7f, 0xff, 0xff, 0xf0, 2}},
	}
	if err := p.SendRaw(k.ctx(time.Minute), garbage...); err != nil {
		t.Fatal(err)
	}
	k.send(p, beats(topic, "", 3, 4)...)

	h := newHandled()
	k.consume(messaging.ConsumerOptions{Group: k.name("dl"), Topics: []string{topic}, DeadLetterTopic: dlt},
		p, func(_ context.Context, b []messaging.Delivery) error { h.add(b); return nil })
	got := h.waitFor(t, 2, time.Minute)
	if len(got) != 2 || beatOf(got[0]) != 0 || beatOf(got[1]) != 3 || got[1].Offset != 3 {
		t.Fatalf("handled %d records, want beats 0 and 3 (offsets 0 and 3)", len(got))
	}

	dead := k.readUntil(k.reader(k.partitionsOf(messaging.OffsetBeginning, dlt), ""), time.Minute,
		func(r []messaging.RawRecord) bool { return len(r) >= 2 })
	if len(dead) != 2 {
		t.Fatalf("%d dead letters, want 2", len(dead))
	}
	for i, d := range dead {
		want := garbage[i]
		if string(d.Key) != string(want.Key) || string(d.Value) != string(want.Value) {
			t.Errorf("dead letter %d: key %q value %q, want %q %q", i, d.Key, d.Value, want.Key, want.Value)
		}
		if d.Header(messaging.HeaderDeadLetterTopic) != topic ||
			d.Header(messaging.HeaderDeadLetterPartition) != "0" ||
			d.Header(messaging.HeaderDeadLetterOffset) != strconv.Itoa(i+1) {
			t.Errorf("dead letter %d: origin headers %v, want %s/0@%d", i, d.Headers, topic, i+1)
		}
		if d.Header(messaging.HeaderDeadLetterError) == "" {
			t.Errorf("dead letter %d: no %s header", i, messaging.HeaderDeadLetterError)
		}
	}
	if !strings.Contains(dead[0].Header(messaging.HeaderDeadLetterError), serde.ErrNotWireFormat.Error()) ||
		!strings.Contains(dead[1].Header(messaging.HeaderDeadLetterError), serde.ErrUnknownSchema.Error()) {
		t.Errorf("reasons %q and %q", dead[0].Header(messaging.HeaderDeadLetterError), dead[1].Header(messaging.HeaderDeadLetterError))
	}
	if dead[0].Header("trace") != "t-1" {
		t.Errorf("dead letter lost the record's own headers: %v", dead[0].Headers)
	}
}
