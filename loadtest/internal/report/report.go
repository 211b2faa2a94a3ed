// Package report groups result files by category and additional load into
// figures: latency statistics, mean CPU and memory per component.
package report

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"openbank/kit/stats"
	"openbank/loadtest/internal/result"
)

// Mapping renames categories matching Pattern (a path glob such as "go-*")
// to Name, so several runs' categories can be combined.
type Mapping struct {
	Pattern, Name string
}

// ParseMapping reads "PATTERN=NAME".
func ParseMapping(s string) (Mapping, error) {
	p, n, ok := strings.Cut(s, "=")
	if !ok || p == "" || n == "" {
		return Mapping{}, fmt.Errorf("category mapping %q: want PATTERN=NAME, e.g. 'go-*=go'", s)
	}
	if _, err := path.Match(p, ""); err != nil {
		return Mapping{}, fmt.Errorf("category mapping %q: %w", s, err)
	}
	return Mapping{Pattern: p, Name: n}, nil
}

// CategoryOf applies the first matching mapping.
func CategoryOf(category string, mappings []Mapping) string {
	for _, m := range mappings {
		if ok, _ := path.Match(m.Pattern, category); ok {
			return m.Name
		}
	}
	return category
}

// Results is what results.json holds (the frontend's Results page reads it).
type Results struct {
	Format     int        `json:"format"`
	Generated  time.Time  `json:"generated"`
	Components []string   `json:"components"`
	Categories []Category `json:"categories"`
	// Floor is what the machine allows (loadtest floor), when given, and
	// FloorRatios each category's latency beside it.
	Floor       *result.Floor `json:"floor,omitempty"`
	FloorRatios []FloorRatio  `json:"floor_ratios,omitempty"`
}

// Category is the figures of all runs mapped to one name.
type Category struct {
	Name         string         `json:"name"`
	Sources      []string       `json:"sources"` // the runs' own category names
	Runs         []RunInfo      `json:"runs"`
	BreakingLoad *stats.Summary `json:"breaking_load,omitempty"` // over runs that ended by time-outs
	Loads        []Load         `json:"loads"`
}

// RunInfo identifies one run of a category.
type RunInfo struct {
	File     string          `json:"file"`
	Config   json.RawMessage `json:"config,omitempty"` // the run's settings, as its header has them
	Category string          `json:"category"`
	Driver   string          `json:"driver"`
	Profile  string          `json:"profile"`
	Started  time.Time       `json:"started"`
	Machine  result.Machine  `json:"machine"`
	Versions result.Versions `json:"versions"`
	// Services is what each service ran with, as the run's header has it.
	Services map[string]map[string]string `json:"services,omitempty"`
	// HistoryCommands is how many commands the bank held when the run began.
	HistoryCommands *int64   `json:"history_commands,omitempty"`
	EndReason       string   `json:"end_reason"` // "" when the file has no end line
	Loops           int      `json:"loops"`
	BreakingLoad    *float64 `json:"breaking_load,omitempty"`
}

// Load is the figures at one additional load (heartbeats per second).
type Load struct {
	AdditionalLoad float64                  `json:"additional_load"`
	Latency        stats.Summary            `json:"latency_ms"`  // until the transaction was visible
	Feedback       *stats.Summary           `json:"feedback_ms"` // until the command's answer (api driver)
	Samples        int                      `json:"samples"`     // interactions, time-outs and errors included
	Timeouts       int                      `json:"timeouts"`
	Errors         int                      `json:"errors"`
	Components     map[string]ComponentMean `json:"components"`
	ConsumerLag    *float64                 `json:"consumer_lag,omitempty"`  // mean, command handler
	GeneratorLag   *float64                 `json:"generator_lag,omitempty"` // mean, command generator
	// AchievedLoad is the heartbeat's mean achieved rate (msg/s) over the samplings at this load.
	AchievedLoad *float64 `json:"achieved_load,omitempty"`
	// Throughput is the load test's own interactions per second at this load
	// (samples over the time between the first and the last), the mean over runs.
	Throughput *float64 `json:"throughput,omitempty"`
	// HopsMS is the mean time per hop (ms), for samples that measured hops.
	HopsMS map[string]float64 `json:"hops_ms,omitempty"`
}

// ComponentMean is the mean use of one component at one load.
type ComponentMean struct {
	CPUPct float64 `json:"cpu_pct"`
	RSSMiB float64 `json:"rss_mib"`
	// AnonMiB and FileMiB split RSSMiB: heap and stacks, mapped files.
	AnonMiB float64 `json:"anon_mib,omitempty"`
	FileMiB float64 `json:"file_mib,omitempty"`
	Samples int     `json:"samples"`
}

type loadAcc struct {
	latency, feedback []float64
	samples, timeouts int
	errors            int
	cpu, rss          map[string][]float64
	anon, file        map[string][]float64
	lag, genLag       []float64
	achieved          []float64
	// hop time (s) and count measured at this load: the growth of the
	// services' cumulative histograms between two samplings.
	hopSum, hopCount map[string]float64
	// first and last sample time per run file, for the throughput.
	spans map[string]*span
}

type span struct {
	first, last time.Time
	n           int
}

// Build groups files by (mapped) category and additional load.
func Build(files []*result.File, mappings []Mapping, now time.Time) Results {
	type catAcc struct {
		sources  map[string]bool
		runs     []RunInfo
		breaking []float64
		loads    map[float64]*loadAcc
	}
	cats := map[string]*catAcc{}
	compSet := map[string]bool{}
	for _, f := range files {
		name := CategoryOf(f.Run.Category, mappings)
		c := cats[name]
		if c == nil {
			c = &catAcc{sources: map[string]bool{}, loads: map[float64]*loadAcc{}}
			cats[name] = c
		}
		c.sources[f.Run.Category] = true
		ri := RunInfo{File: f.Path, Config: f.Run.Config, Category: f.Run.Category, Driver: f.Run.Driver, Profile: f.Run.Profile,
			Started: f.Run.Started, Machine: f.Run.Machine, Versions: f.Run.Versions, Services: f.Run.Services,
			HistoryCommands: f.Run.HistoryCommands}
		if f.End != nil {
			ri.EndReason, ri.Loops, ri.BreakingLoad = f.End.Reason, f.End.Loops, f.End.BreakingLoad
			if f.End.BreakingLoad != nil {
				c.breaking = append(c.breaking, *f.End.BreakingLoad)
			}
		} else if n := len(f.Samples); n > 0 {
			ri.Loops = f.Samples[n-1].Loop
		}
		c.runs = append(c.runs, ri)
		at := func(load float64) *loadAcc {
			a := c.loads[load]
			if a == nil {
				a = &loadAcc{cpu: map[string][]float64{}, rss: map[string][]float64{}, anon: map[string][]float64{}, file: map[string][]float64{}, hopSum: map[string]float64{}, hopCount: map[string]float64{}, spans: map[string]*span{}}
				c.loads[load] = a
			}
			return a
		}
		for _, s := range f.Samples {
			a := at(s.AdditionalLoad)
			a.samples++
			switch {
			case s.Error != "":
				a.errors++
			case s.Timeout:
				a.timeouts++
			case s.LatencyMS != nil:
				a.latency = append(a.latency, *s.LatencyMS)
			}
			if s.FeedbackMS != nil && s.Error == "" {
				a.feedback = append(a.feedback, *s.FeedbackMS)
			}
			if !s.Time.IsZero() {
				sp := a.spans[f.Path]
				if sp == nil {
					sp = &span{first: s.Time, last: s.Time}
					a.spans[f.Path] = sp
				}
				sp.n++
				if s.Time.Before(sp.first) {
					sp.first = s.Time
				}
				if s.Time.After(sp.last) {
					sp.last = s.Time
				}
			}
		}
		var prevHops map[string]result.HopTotal
		for _, r := range f.Resources {
			a := at(r.AdditionalLoad)
			addHops(a, prevHops, r.Hops)
			prevHops = r.Hops
			for comp, v := range r.Components {
				compSet[comp] = true
				if !v.Found {
					continue
				}
				a.cpu[comp] = append(a.cpu[comp], v.CPUPct)
				a.rss[comp] = append(a.rss[comp], v.RSSMiB)
				a.anon[comp] = append(a.anon[comp], v.AnonMiB)
				a.file[comp] = append(a.file[comp], v.FileMiB)
			}
			if r.ConsumerLag != nil {
				a.lag = append(a.lag, *r.ConsumerLag)
			}
			if r.GeneratorLag != nil {
				a.genLag = append(a.genLag, *r.GeneratorLag)
			}
			// The heartbeat reports 0 until its first full second at a new rate.
			if r.AchievedRate != nil && *r.AchievedRate > 0 {
				a.achieved = append(a.achieved, *r.AchievedRate)
			}
		}
	}

	out := Results{Format: 1, Generated: now.UTC()}
	for comp := range compSet {
		out.Components = append(out.Components, comp)
	}
	sort.Strings(out.Components)
	for name, c := range cats {
		cat := Category{Name: name, Runs: c.runs}
		for s := range c.sources {
			cat.Sources = append(cat.Sources, s)
		}
		sort.Strings(cat.Sources)
		sort.Slice(cat.Runs, func(i, j int) bool { return cat.Runs[i].Started.Before(cat.Runs[j].Started) })
		if len(c.breaking) > 0 {
			b := stats.Summarize(c.breaking)
			cat.BreakingLoad = &b
		}
		for load, a := range c.loads {
			l := Load{AdditionalLoad: load, Latency: stats.Summarize(a.latency), Samples: a.samples,
				Timeouts: a.timeouts, Errors: a.errors, Components: map[string]ComponentMean{}}
			if len(a.feedback) > 0 {
				fb := stats.Summarize(a.feedback)
				l.Feedback = &fb
			}
			for comp, cpu := range a.cpu {
				l.Components[comp] = ComponentMean{CPUPct: stats.Mean(cpu), RSSMiB: stats.Mean(a.rss[comp]),
					AnonMiB: stats.Mean(a.anon[comp]), FileMiB: stats.Mean(a.file[comp]), Samples: len(cpu)}
			}
			if len(a.lag) > 0 {
				m := stats.Mean(a.lag)
				l.ConsumerLag = &m
			}
			if len(a.genLag) > 0 {
				m := stats.Mean(a.genLag)
				l.GeneratorLag = &m
			}
			if len(a.achieved) > 0 {
				m := stats.Mean(a.achieved)
				l.AchievedLoad = &m
			}
			l.Throughput = throughput(a.spans)
			for hop, n := range a.hopCount {
				if l.HopsMS == nil {
					l.HopsMS = map[string]float64{}
				}
				l.HopsMS[hop] = a.hopSum[hop] / n * 1000
			}
			cat.Loads = append(cat.Loads, l)
		}
		sort.Slice(cat.Loads, func(i, j int) bool { return cat.Loads[i].AdditionalLoad < cat.Loads[j].AdditionalLoad })
		out.Categories = append(out.Categories, cat)
	}
	sort.Slice(out.Categories, func(i, j int) bool { return out.Categories[i].Name < out.Categories[j].Name })
	return out
}

// addHops adds to a what each hop's histogram grew by since prev; a sum or
// count that shrank means the service restarted, and that interval is left out.
func addHops(a *loadAcc, prev, cur map[string]result.HopTotal) {
	for hop, c := range cur {
		p, ok := prev[hop]
		if !ok {
			continue
		}
		dn, ds := c.Count-p.Count, c.Sum-p.Sum
		if dn <= 0 || ds < 0 {
			continue
		}
		a.hopSum[hop] += ds
		a.hopCount[hop] += dn
	}
}

// throughput is interactions per second, the mean over the runs that had at
// least two samples at a load (one sample spans no time); nil for none.
func throughput(spans map[string]*span) *float64 {
	var rates []float64
	for _, sp := range spans {
		d := sp.last.Sub(sp.first).Seconds()
		if sp.n < 2 || d <= 0 {
			continue
		}
		// n samples span n-1 intervals.
		rates = append(rates, float64(sp.n-1)/d)
	}
	if len(rates) == 0 {
		return nil
	}
	m := stats.Mean(rates)
	return &m
}
