// Package dockersample measures containers' CPU and memory through the
// Docker Engine API (plain HTTP on its Unix socket), for docker-compose runs.
package dockersample

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"openbank/loadtest/internal/result"
)

// Sampler samples the running containers whose component name (the compose
// service label, or else the container name) matches one of Patterns (path
// globs; none: every container).
type Sampler struct {
	Patterns []string
	client   *http.Client
}

// New talks to the engine at socket (e.g. /var/run/docker.sock).
func New(socket string, patterns []string) *Sampler {
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", socket)
	}}
	return &Sampler{Patterns: patterns, client: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// Container is one entry of GET /containers/json.
type Container struct {
	ID     string            `json:"Id"`
	Names  []string          `json:"Names"`
	Labels map[string]string `json:"Labels"`
}

// Component is the name the report uses for the container.
func (c Container) Component() string {
	if s := c.Labels["com.docker.compose.service"]; s != "" {
		return s
	}
	if len(c.Names) > 0 {
		return strings.TrimPrefix(c.Names[0], "/")
	}
	return c.ID
}

// Stats is the part of GET /containers/{id}/stats?stream=false the sampler uses.
type Stats struct {
	CPUStats    CPUStats    `json:"cpu_stats"`
	PreCPUStats CPUStats    `json:"precpu_stats"`
	MemoryStats MemoryStats `json:"memory_stats"`
}

// CPUStats is a cumulative CPU reading (nanoseconds).
type CPUStats struct {
	CPUUsage struct {
		TotalUsage  uint64   `json:"total_usage"`
		PercpuUsage []uint64 `json:"percpu_usage"`
	} `json:"cpu_usage"`
	SystemUsage uint64 `json:"system_cpu_usage"`
	OnlineCPUs  int    `json:"online_cpus"`
}

// MemoryStats is the memory reading (bytes).
type MemoryStats struct {
	Usage uint64            `json:"usage"`
	Stats map[string]uint64 `json:"stats"`
}

// Component turns a stats reading into CPU % (of one core, as docker stats
// shows) and memory: RSSMiB without the inactive page cache (as docker stats
// shows), AnonMiB without any of it (as the original's load test counted:
// usage minus the cache), FileMiB the active cache between the two.
func (s Stats) Component() result.Component {
	c := result.Component{Found: true, Processes: 1}
	cpuDelta := float64(s.CPUStats.CPUUsage.TotalUsage) - float64(s.PreCPUStats.CPUUsage.TotalUsage)
	sysDelta := float64(s.CPUStats.SystemUsage) - float64(s.PreCPUStats.SystemUsage)
	cpus := s.CPUStats.OnlineCPUs
	if cpus == 0 {
		cpus = len(s.CPUStats.CPUUsage.PercpuUsage)
	}
	if cpuDelta > 0 && sysDelta > 0 {
		c.CPUPct = cpuDelta / sysDelta * float64(cpus) * 100
	}
	// cgroup v2 names the cache file and inactive_file, v1 total_cache and total_inactive_file.
	usage := s.MemoryStats.Usage
	rss := usage - min(s.MemoryStats.stat("inactive_file", "total_inactive_file"), usage)
	anon := usage - min(s.MemoryStats.stat("file", "total_cache"), usage)
	c.RSSMiB = float64(rss) / (1 << 20)
	c.AnonMiB = float64(min(anon, rss)) / (1 << 20)
	c.FileMiB = c.RSSMiB - c.AnonMiB
	return c
}

// stat is the first of the named counters the reading has (0: none).
func (m MemoryStats) stat(names ...string) uint64 {
	for _, n := range names {
		if v, ok := m.Stats[n]; ok {
			return v
		}
	}
	return 0
}

// Sample reads every matching container's stats (concurrently: the engine
// takes about a second per container to compute a CPU delta).
func (s *Sampler) Sample(ctx context.Context) (map[string]result.Component, error) {
	var list []Container
	if err := s.get(ctx, "/containers/json", &list); err != nil {
		return nil, err
	}
	out := map[string]result.Component{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var errs []error
	for _, c := range list {
		name := c.Component()
		if !s.matches(name) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var st Stats
			err := s.get(ctx, "/containers/"+c.ID+"/stats?stream=false", &st)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				return
			}
			comp := st.Component()
			if prev, ok := out[name]; ok { // several replicas: one component
				comp.CPUPct += prev.CPUPct
				comp.RSSMiB += prev.RSSMiB
				comp.Processes += prev.Processes
			}
			out[name] = comp
		}()
	}
	wg.Wait()
	for _, p := range s.Patterns {
		if !strings.ContainsAny(p, "*?[") {
			if _, ok := out[p]; !ok {
				out[p] = result.Component{}
			}
		}
	}
	return out, errors.Join(errs...)
}

func (s *Sampler) matches(name string) bool {
	if len(s.Patterns) == 0 {
		return true
	}
	for _, p := range s.Patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

func (s *Sampler) get(ctx context.Context, p string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker"+p, nil)
	if err != nil {
		return err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("docker engine %s: %w", p, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("docker engine %s: %s: %s", p, resp.Status, strings.TrimSpace(string(b)))
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
