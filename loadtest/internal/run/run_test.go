package run

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"openbank/loadtest/internal/driver"
	"openbank/loadtest/internal/heartbeat"
	"openbank/loadtest/internal/result"
)

// scripted answers each interaction from a table: the loop logic is what is
// under test here, not the bank.
type scripted struct {
	timeoutFrom int // loops from here on time out (0: never)
	cancelAt    int // cancel the run's context during this loop
	cancel      context.CancelFunc
	seen        []driver.Interaction
}

func (s *scripted) Open(context.Context) error { return nil }
func (s *scripted) Close() error               { return nil }
func (s *scripted) Do(ctx context.Context, in driver.Interaction, _ time.Duration) driver.Measurement {
	s.seen = append(s.seen, in)
	if in.Loop == s.cancelAt {
		s.cancel()
		return driver.Measurement{Err: ctx.Err()}
	}
	if s.timeoutFrom > 0 && in.Loop >= s.timeoutFrom {
		return driver.Measurement{Timeout: true}
	}
	return driver.Measurement{Feedback: 2 * time.Millisecond, Visible: 3 * time.Millisecond}
}

type fixedSampler struct{ n int }

func (f *fixedSampler) Sample(context.Context) (map[string]result.Component, error) {
	f.n++
	return map[string]result.Component{"x": {CPUPct: 1, RSSMiB: 2, Found: true}}, nil
}

func runWith(t *testing.T, cfg Config, d *scripted, ctx context.Context) (result.End, *result.File) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "r.jsonl")
	w, err := result.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	// The heartbeat's control API, answering like services/heartbeat does.
	var rate float64
	var mu sync.Mutex
	hb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Method == http.MethodPatch {
			var c struct{ Rate float64 }
			_ = json.NewDecoder(r.Body).Decode(&c)
			rate = c.Rate
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"rate": rate, "beat": 42, "achieved_rate": rate})
	}))
	defer hb.Close()
	r := &Runner{Config: cfg, Driver: d, Sampler: &fixedSampler{}, Out: w, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Heartbeat: heartbeat.New(hb.URL, "")}
	end, err := r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if rate != 0 {
		t.Errorf("the heartbeat was left at %v msg/s", rate)
	}
	mu.Unlock()
	f, err := result.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	return end, f
}

func testConfig() Config {
	c, _ := Defaults("quick")
	c.MinLoopTime, c.MaxDuration, c.WarmupOK = 0, 0, 2
	c.MetricsURL, c.GeneratorURL = "", "" // nothing to read here
	c.LoadStep, c.LoadEvery, c.SampleEvery, c.MaxLoops = 10, 4, 5, 1000
	return c
}

func TestStopsAfterThreeTimeouts(t *testing.T) {
	d := &scripted{timeoutFrom: 10}
	end, f := runWith(t, testConfig(), d, context.Background())
	if end.Reason != ReasonTimeouts || end.Loops != 12 || end.Timeouts != 3 || end.BreakingLoad == nil || *end.BreakingLoad != 20 {
		t.Fatalf("end = %+v", end)
	}
	if f.End == nil || f.End.Reason != ReasonTimeouts || len(f.Samples) != 12 {
		t.Fatalf("file: end %+v, %d samples", f.End, len(f.Samples))
	}
	// Two warm-up interactions, unrecorded, came first.
	if len(d.seen) != 14 || d.seen[0].Loop != -1 || d.seen[2].Loop != 1 {
		t.Errorf("interactions %+v", d.seen[:3])
	}
	s := f.Samples[8]
	if s.Loop != 9 || s.AdditionalLoad != 20 || s.Kind != "transfer" || *s.LatencyMS != 3 || *s.FeedbackMS != 2 {
		t.Errorf("loop 9 = %+v", s)
	}
	if f.Samples[5].Kind != "transfer" || f.Samples[10].Kind != "deposit" || !f.Samples[9].Timeout || f.Samples[9].LatencyMS != nil {
		t.Errorf("samples %+v %+v", f.Samples[5], f.Samples[9])
	}
	if len(f.Resources) != 2 || f.Resources[0].Loop != 5 || f.Resources[1].Loop != 10 || !f.Resources[0].Components["x"].Found ||
		*f.Resources[1].HeartbeatBeat != 42 || f.Resources[1].AdditionalLoad != 20 {
		t.Errorf("resources = %+v", f.Resources)
	}
}

func TestMaxLoopsAndInterrupt(t *testing.T) {
	c := testConfig()
	c.MaxLoops = 7
	end, _ := runWith(t, c, &scripted{}, context.Background())
	if end.Reason != ReasonMaxLoops || end.Loops != 7 {
		t.Errorf("end = %+v", end)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	end, f := runWith(t, testConfig(), &scripted{cancelAt: 6, cancel: cancel}, ctx)
	if end.Reason != ReasonInterrupted || len(f.Samples) != 5 || f.End == nil {
		t.Errorf("interrupted: end %+v, %d samples", end, len(f.Samples))
	}
}
