package report

import (
	"fmt"
	"sort"
	"strings"
)

// FrontendCategory is one entry of the frontend's results/index.json
// (frontend/src/lib/results.ts): the figures of one category, one row per
// additional load. Latencies are in milliseconds; cpu is % of one core and
// mem MiB, per component.
type FrontendCategory struct {
	Category    string         `json:"category"`
	Description string         `json:"description,omitempty"`
	Runs        []FrontendStep `json:"runs"`
}

// FrontendStep is one row: the figures at one additional load.
type FrontendStep struct {
	AdditionalLoad float64            `json:"additional_load"`
	Count          int                `json:"count"`
	Mean           float64            `json:"mean"`
	StdErr         float64            `json:"stderr"`
	P50            float64            `json:"p50"`
	P90            float64            `json:"p90"`
	P99            float64            `json:"p99"`
	Max            float64            `json:"max"`
	Timeouts       int                `json:"timeouts"`
	CPU            map[string]float64 `json:"cpu"`
	Mem            map[string]float64 `json:"mem"`
}

// Frontend converts the results to the Results page's format. Loads without
// a single measured latency are left out (the page needs mean/p50/p99/max).
func Frontend(r Results) []FrontendCategory {
	out := []FrontendCategory{}
	for _, c := range r.Categories {
		fc := FrontendCategory{Category: c.Name, Description: describe(c), Runs: []FrontendStep{}}
		for _, l := range c.Loads {
			if l.Latency.N == 0 {
				continue
			}
			s := FrontendStep{AdditionalLoad: l.AdditionalLoad, Count: l.Latency.N, Mean: l.Latency.Mean,
				StdErr: l.Latency.StdErr, P50: l.Latency.P50, P90: l.Latency.P90, P99: l.Latency.P99, Max: l.Latency.Max,
				Timeouts: l.Timeouts, CPU: map[string]float64{}, Mem: map[string]float64{}}
			for name, m := range l.Components {
				s.CPU[name], s.Mem[name] = m.CPUPct, m.RSSMiB
			}
			fc.Runs = append(fc.Runs, s)
		}
		out = append(out, fc)
	}
	return out
}

// describe says in a line what a category is made of.
func describe(c Category) string {
	drivers := map[string]bool{}
	reasons := map[string]int{}
	for _, r := range c.Runs {
		drivers[r.Driver] = true
		reason := r.EndReason
		if reason == "" {
			reason = "cut off"
		}
		reasons[reason]++
	}
	var ds, rs []string
	for d := range drivers {
		ds = append(ds, d)
	}
	for r, n := range reasons {
		rs = append(rs, fmt.Sprintf("%d× %s", n, r))
	}
	sort.Strings(ds)
	sort.Strings(rs)
	s := fmt.Sprintf("%d run(s) of %s (%s driver; ended: %s)", len(c.Runs), strings.Join(c.Sources, ", "),
		strings.Join(ds, "/"), strings.Join(rs, ", "))
	if c.BreakingLoad != nil {
		s += fmt.Sprintf("; breaking point %.0f msg/s", c.BreakingLoad.Mean)
	}
	return s
}
