package beat

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"openbank/messaging"
	"openbank/services/heartbeat/internal/pace"
	"openbank/topology"
	"openbank/topology/records"
)

// memory is an in-process producer: it keeps the beats handed to it.
type memory struct {
	mu      sync.Mutex
	beats   []int64
	refuse  bool  // SendAsync fails
	undeliv error // wait fails
}

func (m *memory) SendAsync(_ context.Context, msgs ...messaging.Message) (func(context.Context) error, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.refuse {
		return nil, errors.New("refused")
	}
	for _, msg := range msgs {
		if msg.Topic != topology.TopicHeartbeat || msg.Key != "" {
			panic("heartbeat sent elsewhere")
		}
		m.beats = append(m.beats, msg.Record.(*records.Heartbeat).Beat)
	}
	err := m.undeliv
	return func(context.Context) error { return err }, nil
}

func (m *memory) sent() []int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]int64(nil), m.beats...)
}

type counts struct {
	mu                      sync.Mutex
	sent, delivered, failed int
}

func (c *counts) Sent(n int)      { c.mu.Lock(); c.sent += n; c.mu.Unlock() }
func (c *counts) Delivered(n int) { c.mu.Lock(); c.delivered += n; c.mu.Unlock() }
func (c *counts) Failed(n int)    { c.mu.Lock(); c.failed += n; c.mu.Unlock() }
func (c *counts) Skipped(int64)   {}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 10 s: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLoopSendsConsecutiveBeatsAndPauses(t *testing.T) {
	producer, c := &memory{}, &counts{}
	s, _ := pace.FromRate(2000, 0)
	loop := New(producer, c, slog.New(slog.DiscardHandler), s, false, 500)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- loop.Run(ctx) }()

	waitUntil(t, "200 beats", func() bool { return len(producer.sent()) >= 200 })
	loop.SetPaused(true)
	time.Sleep(50 * time.Millisecond)
	paused := len(producer.sent())
	time.Sleep(100 * time.Millisecond)
	if n := len(producer.sent()); n != paused {
		t.Fatalf("%d beats sent while paused", n-paused)
	}
	loop.SetPaused(false)
	waitUntil(t, "beats after resume", func() bool { return len(producer.sent()) > paused+50 })
	if err := loop.Set(pace.Settings{BatchSize: 0, Interval: time.Second}); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	beats := producer.sent()
	for i, b := range beats {
		if b != 500+int64(i) {
			t.Fatalf("beat %d is %d, want %d", i, b, 500+i)
		}
	}
	if st := loop.Status(); st.Beat != 500+int64(len(beats)) {
		t.Fatalf("next beat %d after %d beats from 500", st.Beat, len(beats))
	}
	if c.sent != len(beats) || c.delivered != len(beats) || c.failed != 0 {
		t.Fatalf("counts %+v for %d beats", c, len(beats))
	}
}

func TestLoopNeverReusesABeatAfterAFailure(t *testing.T) {
	producer, c := &memory{refuse: true}, &counts{}
	loop := New(producer, c, slog.New(slog.DiscardHandler), pace.Settings{BatchSize: 5, Interval: 10 * time.Millisecond}, false, 0)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- loop.Run(ctx) }()
	waitUntil(t, "failed sends", func() bool { return loop.Status().Beat >= 20 })
	producer.mu.Lock()
	producer.refuse, producer.undeliv = false, errors.New("not acknowledged")
	producer.mu.Unlock()
	waitUntil(t, "sends", func() bool { return len(producer.sent()) >= 20 })
	cancel()
	<-done
	beats := producer.sent()
	if beats[0] < 20 {
		t.Fatalf("beat %d sent again after its first send failed", beats[0])
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.delivered != 0 || c.failed < 20+len(beats) || c.sent != len(beats) {
		t.Fatalf("counts %+v with %d beats handed over", c, len(beats))
	}
}

func TestSetRefusesInvalidSettings(t *testing.T) {
	loop := New(&memory{}, &counts{}, slog.New(slog.DiscardHandler), pace.Settings{BatchSize: 1, Interval: time.Second}, false, 0)
	if err := loop.Set(pace.Settings{BatchSize: -1, Interval: time.Second}); err == nil {
		t.Fatal("negative batch size accepted")
	}
	if s := loop.Status().Settings; s.BatchSize != 1 {
		t.Fatalf("settings changed to %+v", s)
	}
}

func TestChangeKeepsTheTickSpacing(t *testing.T) {
	now := time.Unix(100, 0)
	old := pace.NewSchedule(pace.Settings{BatchSize: 1, Interval: 100 * time.Millisecond}, now.Add(-30*time.Millisecond))
	old.Due(now) // tick 0 sent; the next is due 70 ms from now
	same := pace.Settings{BatchSize: 1, Interval: 100 * time.Millisecond}
	if got := startAfter(old, same, now); !got.Equal(now.Add(70 * time.Millisecond)) {
		t.Fatalf("same settings start %s from now, want 70ms", got.Sub(now))
	}
	faster := pace.Settings{BatchSize: 1, Interval: 10 * time.Millisecond}
	if got := startAfter(old, faster, now); !got.Equal(now) {
		t.Fatalf("a faster pace starts %s from now, want at once", got.Sub(now))
	}
	if got := startAfter(nil, same, now); !got.Equal(now) {
		t.Fatalf("after a pause the pace starts %s from now, want at once", got.Sub(now))
	}
}
