// Package result is the load test's result file: JSON lines, one header
// ("run"), one line per interaction ("sample"), one per resource sampling
// ("resources") and a closing "end" line. The file describes itself, so a
// report can be made from it on another machine, later.
package result

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Line types.
const (
	TypeRun       = "run"
	TypeSample    = "sample"
	TypeResources = "resources"
	TypeEnd       = "end"
)

// Run is the header: what was run, where, with what.
type Run struct {
	Type     string          `json:"type"` // "run"
	Format   int             `json:"format"`
	Category string          `json:"category"`
	Driver   string          `json:"driver"`
	Profile  string          `json:"profile"`
	Started  time.Time       `json:"started"`
	Config   json.RawMessage `json:"config"`
	Machine  Machine         `json:"machine"`
	Versions Versions        `json:"versions"`
	// Services is what each service said it runs when the run began (its
	// bank_build_info: client, settings, commit), by service name.
	Services map[string]map[string]string `json:"services,omitempty"`
	// HistoryCommands is how many commands the bank held when the run began
	// (the commands topic's end offsets): a bank with a past is slower.
	HistoryCommands *int64 `json:"history_commands,omitempty"`
}

// Machine is the host the run was measured on.
type Machine struct {
	Hostname  string `json:"hostname"`
	NProc     int    `json:"nproc"`
	MemoryMiB int64  `json:"memory_mib"`
	Kernel    string `json:"kernel"`
	CPUModel  string `json:"cpu_model"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
}

// Versions are the versions of what measured.
type Versions struct {
	Go        string `json:"go"`
	GitCommit string `json:"git_commit,omitempty"`
	GitDirty  bool   `json:"git_dirty,omitempty"`
	Chromium  string `json:"chromium,omitempty"`
}

// Sample is one interaction. LatencyMS is the time until the new transaction
// was visible (the figure the original reported); FeedbackMS is the time until
// the command's answer (API driver only). A time-out has Timeout set and no
// latency.
type Sample struct {
	Type           string    `json:"type"` // "sample"
	Loop           int       `json:"loop"`
	Time           time.Time `json:"time"`
	AdditionalLoad float64   `json:"additional_load"`
	Kind           string    `json:"kind"` // deposit or transfer
	AmountCents    int64     `json:"amount_cents"`
	LatencyMS      *float64  `json:"latency_ms,omitempty"`
	FeedbackMS     *float64  `json:"feedback_ms,omitempty"`
	VisibleMS      *float64  `json:"visible_ms,omitempty"`
	Timeout        bool      `json:"timeout,omitempty"`
	Error          string    `json:"error,omitempty"`
}

// Resources is one sampling of every component.
type Resources struct {
	Type           string               `json:"type"` // "resources"
	Loop           int                  `json:"loop"`
	Time           time.Time            `json:"time"`
	AdditionalLoad float64              `json:"additional_load"`
	Components     map[string]Component `json:"components"`
	HeartbeatBeat  *int64               `json:"heartbeat_beat,omitempty"`
	AchievedRate   *float64             `json:"heartbeat_achieved_rate,omitempty"`
	ConsumerLag    *float64             `json:"consumer_lag,omitempty"`  // command handler, on commands
	GeneratorLag   *float64             `json:"generator_lag,omitempty"` // command generator, on heartbeat
	ExtraClientOps *int64               `json:"extra_client_ops,omitempty"`
	// Hops are the services' bank_hop_seconds histograms at this sampling,
	// per hop: cumulative, so reports take the difference to the previous one.
	Hops   map[string]HopTotal `json:"hops,omitempty"`
	Errors []string            `json:"errors,omitempty"`
}

// HopTotal is a hop's histogram sum (seconds) and count so far.
type HopTotal struct {
	Sum   float64 `json:"sum_s"`
	Count float64 `json:"count"`
}

// Component is the CPU and memory use of one component (process tree or
// container); Found is false when nothing matched it at this sampling.
type Component struct {
	CPUPct float64 `json:"cpu_pct"`
	RSSMiB float64 `json:"rss_mib"`
	// AnonMiB and FileMiB split RSSMiB: the heap and stacks, and the mapped
	// binary and libraries (librdkafka's, say). AnonMiB is the memory the
	// original's figures count (without the page cache).
	AnonMiB   float64 `json:"anon_mib,omitempty"`
	FileMiB   float64 `json:"file_mib,omitempty"`
	Processes int     `json:"processes,omitempty"`
	Found     bool    `json:"found"`
}

// End closes a run.
type End struct {
	Type     string    `json:"type"` // "end"
	Time     time.Time `json:"time"`
	Reason   string    `json:"reason"`
	Loops    int       `json:"loops"`
	Timeouts int       `json:"timeouts"`
	Errors   int       `json:"errors"`
	// BreakingLoad is the additional load at which the run stopped for time-outs.
	BreakingLoad *float64 `json:"breaking_load,omitempty"`
}

// Writer appends lines to a result file; every line is flushed at once so an
// interrupted run keeps what it measured.
type Writer struct {
	mu sync.Mutex
	f  *os.File
}

// Create creates (truncates) path.
func Create(path string) (*Writer, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create result file: %w", err)
	}
	return &Writer{f: f}, nil
}

// Write appends v as one JSON line.
func (w *Writer) Write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode result line: %w", err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write result file: %w", err)
	}
	return nil
}

// Close syncs and closes the file.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.f.Sync(); err != nil {
		_ = w.f.Close()
		return err
	}
	return w.f.Close()
}

// File is a result file read back.
type File struct {
	Path      string
	Run       Run
	Samples   []Sample
	Resources []Resources
	End       *End // nil when the run was cut off (killed)
}

// Read parses a result file. The first line must be the header.
func Read(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rf, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	rf.Path = path
	return rf, nil
}

// Parse reads result lines from r.
func Parse(r io.Reader) (*File, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	out := &File{}
	n := 0
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		var t struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(line, &t); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if n == 1 && t.Type != TypeRun {
			return nil, fmt.Errorf("line 1: want the %q header, got type %q", TypeRun, t.Type)
		}
		var err error
		switch t.Type {
		case TypeRun:
			if n != 1 {
				return nil, fmt.Errorf("line %d: a second header", n)
			}
			err = json.Unmarshal(line, &out.Run)
		case TypeSample:
			var s Sample
			err = json.Unmarshal(line, &s)
			out.Samples = append(out.Samples, s)
		case TypeResources:
			var rs Resources
			err = json.Unmarshal(line, &rs)
			out.Resources = append(out.Resources, rs)
		case TypeEnd:
			var e End
			err = json.Unmarshal(line, &e)
			out.End = &e
		default:
			// Unknown lines are skipped: newer writers may add types.
		}
		if err != nil {
			return nil, fmt.Errorf("line %d (%s): %w", n, t.Type, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errors.New("empty result file")
	}
	return out, nil
}
