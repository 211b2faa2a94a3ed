package main

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"openbank/kit/bench"
	"openbank/kit/procstat"
	"openbank/kit/scrape"
	"openbank/kit/stats"
	"openbank/messaging"
)

// session is the bench's side of a run: what it sends commands with and the
// handler it measures.
type session struct {
	producer *messaging.Producer
	feedback *feedbackTail
	traffic  *generator
	handler  *bench.Process
	metrics  string // the handler's /metrics
}

// measure runs one phase, adds the handler's own batch figures and prints it.
func (s *session) measure(name string, phase func() (result, error)) error {
	_ = procstat.ResetPeak(s.handler.PID()) // where it is refused, peak RSS is since start
	before, err := scrape.Get(context.Background(), s.metrics)
	if err != nil {
		return err
	}
	r, err := phase()
	if err != nil {
		return fmt.Errorf("phase %s: %w", name, err)
	}
	after, err := scrape.Get(context.Background(), s.metrics)
	if err != nil {
		return err
	}
	r.batches = batchesSince(after, before)
	r.print(name)
	return nil
}

// cpuSeconds is the handler's CPU time so far (0 when it cannot be read).
func (s *session) cpuSeconds() float64 {
	st, _, err := procstat.Of(s.handler.PID())
	if err != nil {
		return 0
	}
	return st.CPUSeconds()
}

// send queues n commands, in chunks of 1,000, and returns their ids.
func (s *session) send(ctx context.Context, n int) ([]uuid.UUID, error) {
	ids := make([]uuid.UUID, 0, n)
	for i := 0; i < n; i += 1_000 {
		var msgs []messaging.Message
		for j := i; j < min(n, i+1_000); j++ {
			id, m := s.traffic.next()
			s.feedback.expect(id, time.Now())
			ids = append(ids, id)
			msgs = append(msgs, m)
		}
		if err := s.producer.Send(ctx, msgs...); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// paced sends rate commands per second for d, what is due at every tick.
func (s *session) paced(ctx context.Context, rate int, d, every time.Duration) (result, error) {
	cpu0 := s.cpuSeconds()
	start := time.Now()
	total := int(float64(rate) * d.Seconds())
	ids := make([]uuid.UUID, 0, total)
	var sends errgroup.Group
	tick := time.NewTicker(every)
	defer tick.Stop()
	for sent := 0; sent < total; {
		<-tick.C
		due := min(total, int(float64(rate)*time.Since(start).Seconds())+1)
		msgs := s.nextCommands(due-sent, &ids)
		sent = due
		if len(msgs) == 0 {
			continue
		}
		sends.Go(func() error { return s.producer.Send(ctx, msgs...) })
	}
	if err := sends.Wait(); err != nil {
		return result{}, err
	}
	return s.collect(ids, start, cpu0)
}

// flatOut sends n commands as fast as the producer goes.
func (s *session) flatOut(ctx context.Context, n int) (result, error) {
	cpu0 := s.cpuSeconds()
	start := time.Now()
	ids := make([]uuid.UUID, 0, n)
	const chunk = 1_000
	var sends errgroup.Group
	sends.SetLimit(4)
	for i := 0; i < n; i += chunk {
		msgs := s.nextCommands(min(n, i+chunk)-i, &ids)
		sends.Go(func() error { return s.producer.Send(ctx, msgs...) })
	}
	if err := sends.Wait(); err != nil {
		return result{}, err
	}
	return s.collect(ids, start, cpu0)
}

// nextCommands makes n commands, each awaited by the feedback reader from
// now, and adds their ids to ids.
func (s *session) nextCommands(n int, ids *[]uuid.UUID) []messaging.Message {
	msgs := make([]messaging.Message, 0, n)
	for range n {
		id, m := s.traffic.next()
		s.feedback.expect(id, time.Now())
		*ids = append(*ids, id)
		msgs = append(msgs, m)
	}
	return msgs
}

// collect waits for the feedback to ids and measures the phase begun at start.
func (s *session) collect(ids []uuid.UUID, start time.Time, cpu0 float64) (result, error) {
	r := result{commands: len(ids)}
	var last time.Time
	for _, id := range ids {
		lat, at, err := s.feedback.latency(id, 120*time.Second)
		if err != nil {
			return r, err
		}
		r.latencies = append(r.latencies, lat)
		if at.After(last) {
			last = at
		}
	}
	r.elapsed = last.Sub(start)
	st, mem, err := procstat.Of(s.handler.PID())
	if err != nil {
		return r, err
	}
	r.cpu = st.CPUSeconds() - cpu0
	r.peakRSS, r.anonRSS, r.fileRSS = mem.Peak, mem.Anon, mem.File
	return r, nil
}

// drained queues n commands while the handler is stopped, so the producer does
// not compete for the CPU, then lets it handle them: the handler's own pace.
// Latency is left out: it is mostly the time spent queued.
func (s *session) drained(ctx context.Context, n int) (result, error) {
	if err := s.handler.Pause(); err != nil {
		return result{}, err
	}
	ids, err := s.send(ctx, n)
	if err != nil {
		_ = s.handler.Resume()
		return result{}, err
	}
	cpu0 := s.cpuSeconds()
	start := time.Now()
	if err := s.handler.Resume(); err != nil {
		return result{}, err
	}
	r, err := s.collect(ids, start, cpu0)
	r.latencies = nil
	return r, err
}

// result of one phase.
type result struct {
	commands  int
	elapsed   time.Duration // first command sent .. last feedback received
	latencies []time.Duration
	cpu       float64 // handler CPU seconds in the phase
	peakRSS   float64 // MiB
	batches   batchStats
	anonRSS   float64 // MiB at the end of the phase
	fileRSS   float64
}

func (r result) print(name string) {
	q := func(p float64) float64 { return float64(stats.PercentileDuration(r.latencies, 100*p)) / 1e6 }
	fmt.Printf("%-10s %9d %10.0f %9.1f %9.1f %9.1f %14.3f %13.1f %11.1f %13.2f\n", name, r.commands,
		float64(r.commands)/r.elapsed.Seconds(), q(0.50), q(0.99), q(1), 1000*r.cpu/float64(r.commands), r.peakRSS,
		r.batches.size, r.batches.millis)
	fmt.Printf("%-10s   per batch: p99 ≤ %.1f ms; mean %.2f ms deciding (database), %.2f ms publishing (until acknowledged); RSS at the end: %.1f MiB anonymous + %.1f MiB file-backed (the binary)\n", "",
		r.batches.p99Millis, r.batches.decideMillis, r.batches.publishMillis, r.anonRSS, r.fileRSS)
}

// batchStats are the handler's own batch figures over a phase (from /metrics).
type batchStats struct{ size, millis, decideMillis, publishMillis, p99Millis float64 }

func batchesSince(after, before scrape.Metrics) batchStats {
	size := after.Histogram("command_handler_batch_size").Since(before.Histogram("command_handler_batch_size"))
	if size.Count == 0 {
		return batchStats{}
	}
	duration := after.Histogram("command_handler_batch_duration_seconds").Since(before.Histogram("command_handler_batch_duration_seconds"))
	stage := func(name string) scrape.Histogram {
		return after.Histogram("command_handler_batch_stage_seconds", "stage", name).
			Since(before.Histogram("command_handler_batch_stage_seconds", "stage", name))
	}
	return batchStats{size: size.Mean(), millis: 1000 * duration.Sum / size.Count,
		decideMillis: 1000 * stage("decide").Sum / size.Count, publishMillis: 1000 * stage("publish").Sum / size.Count,
		p99Millis: 1000 * duration.Quantile(0.99)}
}
