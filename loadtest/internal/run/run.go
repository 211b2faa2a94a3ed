package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"openbank/kit/scrape"
	"openbank/kit/service"
	"openbank/kit/stats"
	"openbank/loadtest/internal/driver"
	"openbank/loadtest/internal/heartbeat"
	"openbank/loadtest/internal/result"
)

// End reasons.
const (
	ReasonTimeouts    = "timeouts"
	ReasonMaxLoops    = "max-loops"
	ReasonMaxDuration = "max-duration"
	ReasonInterrupted = "interrupted"
	ReasonFailed      = "failed"
)

// ResourceSampler measures the components' CPU and memory.
type ResourceSampler interface {
	Sample(ctx context.Context) (map[string]result.Component, error)
}

// Runner runs one load test.
type Runner struct {
	Config    Config
	Driver    driver.Driver
	Sampler   ResourceSampler // nil: none
	Heartbeat *heartbeat.Client
	Extra     *driver.ExtraClients // nil: none
	Out       *result.Writer
	Progress  io.Writer // live progress; nil: none
	Live      bool      // Progress is a terminal: rewrite one line
	Log       *slog.Logger
	Versions  result.Versions
	Machine   result.Machine
	// History counts the commands the bank holds when the run begins; nil: not counted.
	History func(context.Context) (int64, error)
}

// services reads what each service runs (its build info) from the /metrics
// the run scrapes anyway; a service that does not answer is left out.
func (r *Runner) services(ctx context.Context) map[string]map[string]string {
	urls := append([]string{r.Config.MetricsURL}, r.Config.HopURLs...)
	if r.Config.GeneratorURL != "" {
		urls = append(urls, strings.TrimRight(r.Config.GeneratorURL, "/")+"/metrics")
	}
	out := map[string]map[string]string{}
	for _, u := range urls {
		if u == "" {
			continue
		}
		m, err := scrape.Get(ctx, u)
		if err != nil {
			continue
		}
		for _, l := range m.Labels(service.BuildInfoMetric) {
			if name := l["service"]; name != "" {
				delete(l, "service")
				out[name] = l
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Run writes the header, loops until a stop condition or until ctx ends
// (Ctrl-C: the data so far is kept), and writes the end line. The returned
// End says why it stopped.
func (r *Runner) Run(ctx context.Context) (result.End, error) {
	cfg := r.Config
	rawCfg, err := json.Marshal(cfg)
	if err != nil {
		return result.End{}, err
	}
	started := time.Now().UTC()
	header := result.Run{
		Type: result.TypeRun, Format: 1, Category: cfg.Category, Driver: cfg.Driver, Profile: cfg.Profile,
		Started: started, Config: rawCfg, Machine: r.Machine, Versions: r.Versions, Services: r.services(ctx),
	}
	if r.History != nil {
		if n, err := r.History(ctx); err == nil {
			header.HistoryCommands = &n
		} else {
			r.Log.Warn("count the bank's history", "error", err)
		}
	}
	if err := r.Out.Write(header); err != nil {
		return result.End{}, err
	}
	end := result.End{Type: result.TypeEnd}
	// The resource sampler runs beside the loop so its cost does not delay
	// it, one sampling after the other so the file keeps them in loop order;
	// the end line waits for the samplings asked for.
	type sampleRequest struct {
		loop int
		load float64
	}
	requests := make(chan sampleRequest, 64)
	var sampling sync.WaitGroup
	sampling.Add(1)
	go func() {
		defer sampling.Done()
		for q := range requests {
			r.writeResources(context.WithoutCancel(ctx), q.loop, q.load)
		}
	}()
	finish := func(reason string) (result.End, error) {
		close(requests)
		sampling.Wait()
		end.Reason = reason
		end.Time = time.Now().UTC()
		return end, r.Out.Write(end)
	}

	// Setup uses its own context: Ctrl-C during setup still ends cleanly.
	if err := r.Driver.Open(ctx); err != nil {
		end.Errors++
		_, _ = finish(ReasonFailed)
		return end, fmt.Errorf("open %s driver: %w", cfg.Driver, err)
	}
	defer r.Driver.Close()
	if err := r.warmUp(ctx); err != nil {
		end.Errors++
		reason := ReasonFailed
		if ctx.Err() != nil {
			reason = ReasonInterrupted
		}
		_, _ = finish(reason)
		return end, err
	}

	load := -1.0
	setLoad := func(l float64) {
		if r.Heartbeat == nil || l == load {
			return
		}
		if _, err := r.Heartbeat.SetRate(context.WithoutCancel(ctx), l); err != nil {
			r.Log.Warn("cannot set the heartbeat's rate", "rate", l, "error", err)
			return
		}
		load = l
	}
	if r.Heartbeat != nil && cfg.ResetLoad {
		defer func() {
			resetCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if _, err := r.Heartbeat.SetRate(resetCtx, 0); err != nil {
				r.Log.Warn("cannot set the heartbeat back to 0", "error", err)
			}
		}()
	}

	if r.Extra != nil && r.Extra.Clients > 0 {
		extraCtx, stopExtra := context.WithCancel(ctx)
		if err := r.Extra.Start(extraCtx); err != nil {
			stopExtra()
			end.Errors++
			_, _ = finish(ReasonFailed)
			return end, err
		}
		defer func() { stopExtra(); r.Extra.Wait() }()
	}

	if r.Sampler != nil {
		_, _ = r.Sampler.Sample(ctx) // CPU baseline
	}
	sample := func(loop int, l float64) { requests <- sampleRequest{loop, l} }

	var latencies stats.Running
	var deadline time.Time
	if cfg.MaxDuration > 0 {
		deadline = time.Now().Add(cfg.MaxDuration.D()) // after the warm-up
	}
	for loop := 1; ; loop++ {
		if ctx.Err() != nil {
			return finish(ReasonInterrupted)
		}
		if !deadline.IsZero() && time.Now().After(deadline) {
			return finish(ReasonMaxDuration)
		}
		loopStart := time.Now()
		setLoad(cfg.LoadAt(loop))
		current := max(load, 0)
		kind, amount := InteractionAt(loop)
		in := driver.Interaction{Loop: loop, Kind: kind, AmountCents: amount,
			Description: fmt.Sprintf("loadtest %s %d", started.Format("150405"), loop)}
		m := r.Driver.Do(ctx, in, cfg.Timeout.D())
		if ctx.Err() != nil && m.Err != nil {
			return finish(ReasonInterrupted) // cut off by Ctrl-C: not a measurement
		}
		s := result.Sample{Type: result.TypeSample, Loop: loop, Time: loopStart.UTC(), AdditionalLoad: current,
			Kind: kind, AmountCents: amount}
		if m.Feedback > 0 {
			s.FeedbackMS = ms(m.Feedback)
		}
		switch {
		case m.Err != nil:
			s.Error = m.Err.Error()
			end.Errors++
			r.Log.Warn("interaction failed", "loop", loop, "error", m.Err)
		case m.Timeout:
			s.Timeout = true
			end.Timeouts++
		default:
			s.LatencyMS, s.VisibleMS = ms(m.Visible), ms(m.Visible)
			latencies.Add(float64(m.Visible) / float64(time.Millisecond))
		}
		if err := r.Out.Write(s); err != nil {
			return end, err
		}
		end.Loops = loop
		r.progress(loop, current, s, &latencies, end)
		if loop%cfg.SampleEvery == 0 {
			sample(loop, current)
		}
		if end.Timeouts >= cfg.MaxTimeouts {
			end.BreakingLoad = &current
			return finish(ReasonTimeouts)
		}
		// Errors (refused transfers, a lost connection) count like time-outs
		// for stopping, so a broken stack cannot spin for 6000 loops.
		if end.Errors >= max(cfg.MaxTimeouts, 10) {
			return finish(ReasonFailed)
		}
		if loop >= cfg.MaxLoops {
			return finish(ReasonMaxLoops)
		}
		select {
		case <-ctx.Done():
			return finish(ReasonInterrupted)
		case <-time.After(time.Until(loopStart.Add(cfg.MinLoopTime.D()))):
		}
	}
}

// warmUp performs unrecorded interactions until WarmupOK in a row are
// visible within the time-out: the heartbeat is set to the initial load first,
// and the stack may still be catching up with an earlier run's backlog.
func (r *Runner) warmUp(ctx context.Context) error {
	cfg := r.Config
	if cfg.WarmupOK == 0 {
		return nil
	}
	if r.Heartbeat != nil {
		if _, err := r.Heartbeat.SetRate(ctx, cfg.InitialLoad); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	deadline := time.Now().Add(cfg.WarmupMax.D())
	ok := 0
	for i := 1; ok < cfg.WarmupOK; i++ {
		if time.Now().After(deadline) {
			return fmt.Errorf("warm-up: not %d interactions in a row visible within %s after %s: is the stack up and idle?",
				cfg.WarmupOK, cfg.Timeout.D(), cfg.WarmupMax.D())
		}
		start := time.Now()
		kind, amount := InteractionAt(i)
		m := r.Driver.Do(ctx, driver.Interaction{Loop: -i, Kind: kind, AmountCents: amount,
			Description: fmt.Sprintf("loadtest warm-up %s %d", start.UTC().Format("150405"), i)}, cfg.Timeout.D())
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case m.Err == nil && !m.Timeout:
			ok++
		default:
			ok = 0
			if m.Err != nil {
				r.Log.Warn("warm-up interaction failed", "error", m.Err)
			}
		}
		if r.Progress != nil && r.Live {
			fmt.Fprintf(r.Progress, "\rwarm-up %d: %d/%d in a row visible within %s\x1b[K", i, ok, cfg.WarmupOK, cfg.Timeout.D())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Until(start.Add(cfg.MinLoopTime.D()))):
		}
	}
	return nil
}

func ms(d time.Duration) *float64 {
	v := float64(d) / float64(time.Millisecond)
	return &v
}

// HopMetric is the histogram every service records its hops in, labelled hop.
const HopMetric = "bank_hop_seconds"

// writeResources samples the components, the heartbeat and the consumer lag.
func (r *Runner) writeResources(ctx context.Context, loop int, load float64) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	res := result.Resources{Type: result.TypeResources, Loop: loop, Time: time.Now().UTC(), AdditionalLoad: load,
		Components: map[string]result.Component{}}
	var errs []error
	if r.Sampler != nil {
		comps, err := r.Sampler.Sample(ctx)
		errs = append(errs, err)
		if comps != nil {
			res.Components = comps
		}
	}
	if r.Heartbeat != nil {
		st, err := r.Heartbeat.Get(ctx)
		errs = append(errs, err)
		if err == nil {
			res.HeartbeatBeat, res.AchievedRate = &st.Beat, &st.AchievedRate
		}
	}
	if r.Config.MetricsURL != "" {
		m, err := scrape.Get(ctx, r.Config.MetricsURL)
		errs = append(errs, err)
		if lag, found := m.Sum(r.Config.LagMetric); found {
			res.ConsumerLag = &lag
		}
	}
	if r.Config.GeneratorURL != "" && r.Config.GeneratorLag != "" {
		m, err := scrape.Get(ctx, strings.TrimRight(r.Config.GeneratorURL, "/")+"/metrics")
		errs = append(errs, err)
		if lag, found := m.Sum(r.Config.GeneratorLag); found {
			res.GeneratorLag = &lag
		}
	}
	for _, u := range r.Config.HopURLs {
		m, err := scrape.Get(ctx, u)
		errs = append(errs, err)
		for hop, t := range m.Totals(HopMetric, "hop") {
			if res.Hops == nil {
				res.Hops = map[string]result.HopTotal{}
			}
			res.Hops[hop] = result.HopTotal{Sum: t.Sum, Count: t.Count}
		}
	}
	if r.Extra != nil && r.Extra.Clients > 0 {
		ops := r.Extra.Ops.Load()
		res.ExtraClientOps = &ops
	}
	if err := errors.Join(errs...); err != nil {
		res.Errors = append(res.Errors, err.Error())
	}
	if err := r.Out.Write(res); err != nil {
		r.Log.Warn("cannot write resources", "error", err)
	}
}

func (r *Runner) progress(loop int, load float64, s result.Sample, lat *stats.Running, end result.End) {
	if r.Progress == nil {
		return
	}
	last := "time-out"
	switch {
	case s.Error != "":
		last = "error"
	case s.LatencyMS != nil:
		last = fmt.Sprintf("%.0f ms", *s.LatencyMS)
	}
	line := fmt.Sprintf("loop %5d  load %6.0f msg/s  last %9s  p99 %6.0f ms  time-outs %d/%d  errors %d",
		loop, load, last, lat.Percentile(99), end.Timeouts, r.Config.MaxTimeouts, end.Errors)
	if r.Live {
		fmt.Fprintf(r.Progress, "\r%s\x1b[K", line)
		return
	}
	if loop%r.Config.SampleEvery == 0 || s.Timeout || s.Error != "" {
		fmt.Fprintln(r.Progress, line)
	}
}
