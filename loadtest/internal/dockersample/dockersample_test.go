package dockersample

import (
	"context"
	"encoding/json"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestStatsOfRecordedSample(t *testing.T) {
	raw, err := os.ReadFile("testdata/stats-cgroup2.json")
	if err != nil {
		t.Fatal(err)
	}
	var s Stats
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	c := s.Component()
	// 0.2 s of container CPU in 2 s of (2-CPU) system time ×2 CPUs = 20 %.
	if !near(c.CPUPct, 20) {
		t.Errorf("cpu = %v, want 20", c.CPUPct)
	}
	// 50 MiB used minus 10 MiB inactive page cache; minus all 20 MiB of it,
	// the original's count.
	if !near(c.RSSMiB, 40) || !near(c.AnonMiB, 30) || !near(c.FileMiB, 10) || !c.Found {
		t.Errorf("memory = %v MiB, %v anonymous, %v file (found %v), want 40, 30, 10", c.RSSMiB, c.AnonMiB, c.FileMiB, c.Found)
	}
}

func TestCgroupV1AndNoDelta(t *testing.T) {
	var s Stats
	s.MemoryStats.Usage = 30 << 20
	s.MemoryStats.Stats = map[string]uint64{"total_inactive_file": 10 << 20, "total_cache": 12 << 20, "cache": 1 << 20}
	s.CPUStats.CPUUsage.PercpuUsage = []uint64{1, 2, 3, 4}
	s.CPUStats.CPUUsage.TotalUsage = 100
	s.CPUStats.SystemUsage = 1000
	s.PreCPUStats.CPUUsage.TotalUsage = 50
	s.PreCPUStats.SystemUsage = 800
	c := s.Component()
	if !near(c.RSSMiB, 20) || !near(c.AnonMiB, 18) || !near(c.CPUPct, 50.0/200*4*100) {
		t.Errorf("v1 = %+v", c)
	}
	s.PreCPUStats = s.CPUStats // first reading: no delta yet
	if c := s.Component(); c.CPUPct != 0 {
		t.Errorf("no delta gives %v %%", c.CPUPct)
	}
}

// TestSampleOverSocket serves the recorded answers on a Unix socket, as the
// engine would; no Docker engine was available to try it live.
func TestSampleOverSocket(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "docker.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /containers/json", func(w http.ResponseWriter, _ *http.Request) {
		b, _ := os.ReadFile("testdata/containers.json")
		_, _ = w.Write(b)
	})
	mux.HandleFunc("GET /containers/{id}/stats", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("stream") != "false" {
			http.Error(w, "want stream=false", http.StatusBadRequest)
			return
		}
		if r.PathValue("id") != "5f3c0d1e2a4b" {
			http.Error(w, "no such container", http.StatusNotFound)
			return
		}
		b, _ := os.ReadFile("testdata/stats-cgroup2.json")
		_, _ = w.Write(b)
	})
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	s := New(sock, []string{"command-*", "kafka"})
	got, err := s.Sample(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := got["command-handler"]; !c.Found || !near(c.CPUPct, 20) || !near(c.RSSMiB, 40) {
		t.Errorf("command-handler = %+v", c)
	}
	if c, ok := got["kafka"]; !ok || c.Found {
		t.Errorf("kafka (named, not running) = %+v %v, want present and not found", c, ok)
	}
	if _, ok := got["some-other"]; ok {
		t.Error("a container matching no pattern was sampled")
	}
}
