package bench

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

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
