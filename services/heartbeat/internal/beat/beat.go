// Package beat runs the heartbeat: it sends Heartbeat{beat} records with a
// counter that only goes up, at the pace of its settings, which the control
// API may change at any time.
package beat

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"openbank/messaging"
	"openbank/services/heartbeat/internal/pace"
	"openbank/topology"
	"openbank/topology/records"
)

// Producer sends records without waiting for their acknowledgements
// (messaging.Producer).
type Producer interface {
	SendAsync(ctx context.Context, msgs ...messaging.Message) (wait func(context.Context) error, err error)
}

// Counts are what the loop reports to metrics.
type Counts interface {
	Sent(n int)      // beats handed to Kafka
	Delivered(n int) // beats acknowledged
	Failed(n int)    // beats that could not be sent or were not acknowledged
	Skipped(ticks int64)
}

// Status is the heartbeat's state as the control API shows it.
type Status struct {
	Settings     pace.Settings
	Paused       bool
	Beat         int64   // the next beat to send: every beat below it was sent
	AchievedRate float64 // delivered messages/s over the last few seconds
}

// Loop is the heartbeat. Its methods are safe for concurrent use.
type Loop struct {
	producer Producer
	counts   Counts
	log      *slog.Logger
	meter    *meter

	mu       sync.Mutex
	settings pace.Settings
	paused   bool
	beat     int64
	changed  chan struct{} // a buffered signal: settings or pause changed

	pending chan delivery // batches whose acknowledgements are awaited
}

type delivery struct {
	n    int
	wait func(context.Context) error
}

// pendingBatches bounds the batches awaiting acknowledgement; when Kafka falls
// that far behind the loop waits (back-pressure) instead of growing memory.
const pendingBatches = 4096

// New returns a loop that starts at beat next with settings s.
func New(producer Producer, counts Counts, log *slog.Logger, s pace.Settings, paused bool, next int64) *Loop {
	return &Loop{
		producer: producer, counts: counts, log: log, meter: newMeter(5 * time.Second),
		settings: s, paused: paused, beat: next,
		changed: make(chan struct{}, 1),
		pending: make(chan delivery, pendingBatches),
	}
}

// Status returns the current state.
func (l *Loop) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Status{Settings: l.settings, Paused: l.paused, Beat: l.beat, AchievedRate: l.meter.rate()}
}

// Set changes the pace; the new pace starts at once.
func (l *Loop) Set(s pace.Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	l.mu.Lock()
	l.settings = s
	l.mu.Unlock()
	l.signal()
	return nil
}

// SetPaused pauses or resumes the heartbeat.
func (l *Loop) SetPaused(paused bool) {
	l.mu.Lock()
	l.paused = paused
	l.mu.Unlock()
	l.signal()
}

func (l *Loop) signal() {
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

// Run sends beats until ctx ends, then waits (up to 5 s) for the
// acknowledgements of what it sent.
func (l *Loop) Run(ctx context.Context) error {
	// Acknowledgements are awaited until 5 s after shutdown begins.
	drain, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(5*time.Second, cancel) })
	defer stop()
	acked := make(chan struct{})
	go func() { defer close(acked); l.awaitDeliveries(drain) }()
	go l.measure(ctx)
	err := l.pace(ctx)
	close(l.pending)
	<-acked
	return err
}

// pace runs one schedule per setting; any change starts a new schedule at once.
func (l *Loop) pace(ctx context.Context) error {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var sc *pace.Schedule // the running schedule, nil while nothing is sent
	for {
		l.mu.Lock()
		s, paused := l.settings, l.paused
		l.mu.Unlock()
		if paused || s.BatchSize == 0 {
			sc = nil
			select {
			case <-ctx.Done():
				return nil
			case <-l.changed:
				continue
			}
		}
		sc = pace.NewSchedule(s, startAfter(sc, s, time.Now()))
		var reported int64
	ticking:
		for {
			if n := sc.Due(time.Now()); n > 0 {
				l.send(ctx, n)
			}
			if skipped := sc.Skipped(); skipped > reported {
				l.counts.Skipped(skipped - reported)
				reported = skipped
			}
			timer.Reset(time.Until(sc.Next()))
			select {
			case <-ctx.Done():
				return nil
			case <-l.changed:
				break ticking
			case <-timer.C:
			}
		}
	}
}

// startAfter is when a new schedule for s starts: at the old schedule's next
// tick when that comes within one new interval (so a change, or a repeated
// call with the same values, does not add an extra batch), otherwise now.
func startAfter(old *pace.Schedule, s pace.Settings, now time.Time) time.Time {
	if old != nil {
		if next := old.Next(); next.After(now) && next.Sub(now) <= s.Interval {
			return next
		}
	}
	return now
}

// send hands n beats to Kafka. The counter moves past them whatever happens,
// so a beat number is never sent twice (a failure leaves a gap instead).
func (l *Loop) send(ctx context.Context, n int) {
	l.mu.Lock()
	first := l.beat
	l.beat += int64(n)
	l.mu.Unlock()
	msgs := make([]messaging.Message, n)
	beats := make([]records.Heartbeat, n)
	for i := range msgs {
		beats[i].Beat = first + int64(i)
		msgs[i] = messaging.Message{Topic: topology.TopicHeartbeat, Record: &beats[i]}
	}
	wait, err := l.producer.SendAsync(ctx, msgs...)
	if err != nil {
		l.counts.Failed(n)
		l.log.Error("send heartbeat", "first_beat", first, "count", n, "error", err)
		return
	}
	l.counts.Sent(n)
	l.pending <- delivery{n: n, wait: wait} // blocks only when Kafka is far behind
}

// awaitDeliveries counts acknowledgements in send order. Failures are logged at
// most every 10 s with their count.
func (l *Loop) awaitDeliveries(ctx context.Context) {
	var failed int
	var lastLog time.Time
	for d := range l.pending {
		err := d.wait(ctx)
		switch {
		case err == nil:
			l.counts.Delivered(d.n)
			l.meter.add(d.n)
		default:
			l.counts.Failed(d.n)
			failed += d.n
			if time.Since(lastLog) > 10*time.Second {
				l.log.Error("heartbeats not delivered", "count", failed, "error", err)
				failed, lastLog = 0, time.Now()
			}
		}
	}
	if failed > 0 {
		l.log.Error("heartbeats not delivered", "count", failed)
	}
}

// measure samples the delivered count so Status can report the achieved rate.
func (l *Loop) measure(ctx context.Context) {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			l.meter.sample(now)
		}
	}
}
