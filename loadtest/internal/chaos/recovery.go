package chaos

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"openbank/kit/stats"
)

// Confirmations keeps when API clients' transfers were sent and confirmed,
// to tell how long after a fault the bank served again.
type Confirmations struct {
	mu    sync.Mutex
	sends []time.Time // send time of each confirmed transfer
	ats   []time.Time // its confirmation time
	wake  chan struct{}
}

// NewConfirmations returns an empty record.
func NewConfirmations() *Confirmations { return &Confirmations{wake: make(chan struct{})} }

// Add records a confirmed transfer sent at sent and confirmed at at.
func (c *Confirmations) Add(sent, at time.Time) {
	c.mu.Lock()
	c.sends, c.ats = append(c.sends, sent), append(c.ats, at)
	close(c.wake)
	c.wake = make(chan struct{})
	c.mu.Unlock()
}

// Count is how many transfers were confirmed.
func (c *Confirmations) Count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.ats)
}

// ServedAgain is the first confirmation of a transfer sent at or after t,
// and whether there is one yet; the channel closes at the next confirmation.
func (c *Confirmations) ServedAgain(t time.Time) (time.Time, bool, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var first time.Time
	for i, s := range c.sends {
		if !s.Before(t) && (first.IsZero() || c.ats[i].Before(first)) {
			first = c.ats[i]
		}
	}
	return first, !first.IsZero(), c.wake
}

// FaultRecord is one injected fault.
type FaultRecord struct {
	Kind     string        `json:"kind"`
	Target   string        `json:"target"`
	At       time.Duration `json:"at_ns"`       // since the start of the run
	Recovery time.Duration `json:"recovery_ns"` // fault → next confirmed transfer; -1 if none came
	Err      string        `json:"error,omitempty"`
	Cut      bool          `json:"cut,omitempty"` // the load ended before recovery; left out of the figures
}

// KindStats are the recovery times of one fault kind.
type KindStats struct {
	Kind                string
	Count, NotRecovered int
	P50, P99, Max       time.Duration
}

// Stats summarises recovery times per kind (nearest-rank percentiles).
func Stats(faults []FaultRecord) []KindStats {
	var out []KindStats
	for _, k := range Kinds {
		s := KindStats{Kind: k}
		var ds []time.Duration
		for _, f := range faults {
			if f.Kind != k {
				continue
			}
			if f.Cut {
				continue
			}
			s.Count++
			if f.Recovery < 0 {
				s.NotRecovered++
				continue
			}
			ds = append(ds, f.Recovery)
		}
		if s.Count == 0 {
			continue
		}
		if len(ds) > 0 {
			s.P50, s.P99, s.Max = stats.PercentileDuration(ds, 50), stats.PercentileDuration(ds, 99), slices.Max(ds)
		}
		out = append(out, s)
	}
	return out
}

// PrintStats writes the recovery table.
func PrintStats(w io.Writer, faults []FaultRecord) {
	fmt.Fprintf(w, "%-14s %6s %9s %9s %9s %s\n", "fault", "count", "p50", "p99", "max", "not recovered")
	for _, s := range Stats(faults) {
		fmt.Fprintf(w, "%-14s %6d %8.1fs %8.1fs %8.1fs %d\n", s.Kind, s.Count,
			s.P50.Seconds(), s.P99.Seconds(), s.Max.Seconds(), s.NotRecovered)
	}
}

// AllFaults: every fault of want was injected, and after each the bank
// served again within the recovery timeout before the load ended.
func AllFaults(want map[string]int, got []FaultRecord) Result {
	total := 0
	for _, n := range want {
		total += n
	}
	var bad []string
	for _, f := range got {
		if f.Err != "" || f.Cut || f.Recovery < 0 {
			bad = append(bad, fmt.Sprintf("%s at +%s", f.Kind, f.At.Round(time.Second)))
		}
	}
	detail := fmt.Sprintf("%d of %d faults injected, %d without recovery", len(got), total, len(bad))
	if len(bad) > 0 {
		detail += " (" + strings.Join(bad, ", ") + ")"
	}
	return Result{Name: "every fault injected and recovered from", OK: len(got) == total && len(bad) == 0, Detail: detail}
}
