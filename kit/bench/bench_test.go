package bench

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const exposition = `# HELP app_commands_total Commands.
# TYPE app_commands_total counter
app_commands_total{type="A",result="ok"} 3
app_commands_total{type="B",result="ok"} 5
# HELP app_lag Lag.
# TYPE app_lag gauge
app_lag 7
# HELP app_batch_seconds Batches.
# TYPE app_batch_seconds histogram
app_batch_seconds_bucket{le="0.01"} %d
app_batch_seconds_bucket{le="0.1"} %d
app_batch_seconds_bucket{le="+Inf"} %d
app_batch_seconds_sum %g
app_batch_seconds_count %d
`

func TestScrape(t *testing.T) {
	scrapes := []string{fmt.Sprintf(exposition, 1, 2, 2, 0.05, 2), fmt.Sprintf(exposition, 1, 9, 12, 1.05, 12)}
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(scrapes[n]))
		n++
	}))
	defer srv.Close()
	before, err := Scrape(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	after, err := Scrape(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if v := after.Value("app_commands_total", "type", "B"); v != 5 {
		t.Errorf("counter with type=B: %v, want 5", v)
	}
	if v := after.Value("app_lag"); v != 7 {
		t.Errorf("gauge: %v, want 7", v)
	}
	if v := after.Value("app_missing"); v != 0 {
		t.Errorf("absent metric: %v, want 0", v)
	}
	h := after.Histogram("app_batch_seconds").Since(before.Histogram("app_batch_seconds"))
	if h.Count != 10 || math.Abs(h.Mean()-0.1) > 1e-9 {
		t.Errorf("since: count %v mean %v, want 10 and 0.1", h.Count, h.Mean())
	}
	if q := h.Quantile(0.5); q != 0.1 {
		t.Errorf("p50 %v, want the 0.1 bucket", q)
	}
	if q := h.Quantile(0.99); !math.IsInf(q, 1) {
		t.Errorf("p99 %v, want +Inf", q)
	}
	if s := h.Share(0.1); s != 0.7 {
		t.Errorf("share ≤ 0.1: %v, want 0.7", s)
	}
}

func TestScrapeRefusesGarbage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("this is { not metrics\n"))
	}))
	defer srv.Close()
	if _, err := Scrape(srv.URL); err == nil {
		t.Error("no error for text that is not the exposition format")
	}
}

// script writes an executable shell script for Start.
func script(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "prog")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestProcessStartLogsAndStops(t *testing.T) {
	p, err := Start(script(t, `trap 'echo stopping; exit 0' TERM; echo "got $BENCH_X"; while :; do sleep 0.05; done`+"\n"), "BENCH_X=42")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(p.Log)
	for { // the trap is set once the script has said so
		if b, _ := os.ReadFile(p.Log); strings.Contains(string(b), "got") {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if p.PID() <= 0 {
		t.Errorf("pid %d", p.PID())
	}
	if err := p.Pause(); err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(10 * time.Second); err != nil {
		t.Fatalf("stop a paused process: %v", err)
	}
	b, _ := os.ReadFile(p.Log)
	if !strings.Contains(string(b), "got 42") || !strings.Contains(string(b), "stopping") {
		t.Errorf("log %q", b)
	}
}

func TestWaitReadyNoticesAnExit(t *testing.T) {
	p, err := Start(script(t, "echo broken config >&2; exit 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(p.Log)
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	err = p.WaitReady(fmt.Sprintf("http://127.0.0.1:%d/readyz", port), time.Hour)
	if err == nil || !strings.Contains(err.Error(), "exited") || !strings.Contains(err.Error(), p.Log) {
		t.Errorf("WaitReady: %v, want an exit naming the log", err)
	}
	if err := p.Stop(time.Second); err == nil {
		t.Error("Stop of a process that failed says nothing")
	}
}

func TestWaitReadyAnswers(t *testing.T) {
	p, err := Start(script(t, "sleep 30\n"))
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(p.Log)
	defer p.Stop(time.Second) //nolint:errcheck // the test is about readiness
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	if err := p.WaitReady(srv.URL, time.Hour); err != nil {
		t.Fatal(err)
	}
}
