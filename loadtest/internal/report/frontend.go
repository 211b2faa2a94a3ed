package report

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"openbank/loadtest/internal/result"
)

// FrontendCategory is one entry of the frontend's results.json
// (frontend/src/lib/results.ts): the figures of one category, one row per
// additional load. Latencies are in milliseconds; cpu is % of one core and
// mem MiB, per component. Fields after Runs were added later; the page
// treats each as optional, so older files still load.
type FrontendCategory struct {
	Category    string         `json:"category"`
	Description string         `json:"description,omitempty"`
	Runs        []FrontendStep `json:"runs"`
	// BreakingPoint is the mean additional load (msg/s) at which the runs
	// that ended on time-outs stopped; absent when none did.
	BreakingPoint *float64 `json:"breaking_point,omitempty"`
	// RunDetails says where, with what and how each run of the category ran.
	RunDetails []FrontendRun `json:"run_details,omitempty"`
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

	Min float64 `json:"min"`
	// Samples counts every interaction at this load, time-outs and errors included.
	Samples int `json:"samples"`
	Errors  int `json:"errors"`
	// Feedback is the time until the command's answer (api driver only).
	Feedback *FrontendLatency `json:"feedback,omitempty"`
	// AchievedLoad is the heartbeat's measured rate, msg/s.
	AchievedLoad *float64 `json:"achieved_load,omitempty"`
	// Throughput is the load test's interactions per second.
	Throughput   *float64 `json:"throughput,omitempty"`
	ConsumerLag  *float64 `json:"consumer_lag,omitempty"`
	GeneratorLag *float64 `json:"generator_lag,omitempty"`
	// Hops is the mean time per hop in ms, {"gateway→kafka": 3.1, …}, when
	// the run measured hops; absent otherwise.
	Hops map[string]float64 `json:"hops,omitempty"`
	// Anon is the memory per component without the page cache (MiB), what
	// the original's figures count; absent (empty) when the sampler could not
	// split it.
	Anon map[string]float64 `json:"anon,omitempty"`
}

// FrontendLatency is a latency summary in milliseconds.
type FrontendLatency struct {
	Count  int     `json:"count"`
	Mean   float64 `json:"mean"`
	StdErr float64 `json:"stderr"`
	P50    float64 `json:"p50"`
	P99    float64 `json:"p99"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// FrontendRun is one run of a category: the machine, the versions and the
// settings it ran with, and how it ended.
type FrontendRun struct {
	File         string            `json:"file"`
	Category     string            `json:"category"`
	Driver       string            `json:"driver"`
	Profile      string            `json:"profile"`
	Started      time.Time         `json:"started"`
	EndReason    string            `json:"end_reason"`
	Loops        int               `json:"loops"`
	BreakingLoad *float64          `json:"breaking_load,omitempty"`
	Machine      result.Machine    `json:"machine"`
	Versions     result.Versions   `json:"versions"`
	Settings     map[string]string `json:"settings,omitempty"`
}

// Frontend converts the results to the Results page's format. Loads without
// a single measured latency are left out (the page needs mean/p50/p99/max).
func Frontend(r Results) []FrontendCategory {
	out := []FrontendCategory{}
	for _, c := range r.Categories {
		fc := FrontendCategory{Category: c.Name, Description: describe(c), Runs: []FrontendStep{}}
		if c.BreakingLoad != nil {
			b := c.BreakingLoad.Mean
			fc.BreakingPoint = &b
		}
		for _, run := range c.Runs {
			fc.RunDetails = append(fc.RunDetails, FrontendRun{File: run.File, Category: run.Category, Driver: run.Driver,
				Profile: run.Profile, Started: run.Started, EndReason: run.EndReason, Loops: run.Loops,
				BreakingLoad: run.BreakingLoad, Machine: run.Machine, Versions: run.Versions,
				Settings: withHistory(withServices(settings(run.Config), run.Services), run.HistoryCommands)})
		}
		for _, l := range c.Loads {
			if l.Latency.N == 0 {
				continue
			}
			s := FrontendStep{AdditionalLoad: l.AdditionalLoad, Count: l.Latency.N, Mean: l.Latency.Mean,
				StdErr: l.Latency.StdErr, P50: l.Latency.P50, P90: l.Latency.P90, P99: l.Latency.P99, Max: l.Latency.Max,
				Timeouts: l.Timeouts, CPU: map[string]float64{}, Mem: map[string]float64{}, Anon: map[string]float64{},
				Min: l.Latency.Min, Samples: l.Samples, Errors: l.Errors, AchievedLoad: l.AchievedLoad,
				Throughput: l.Throughput, ConsumerLag: l.ConsumerLag, GeneratorLag: l.GeneratorLag, Hops: l.HopsMS}
			if fb := l.Feedback; fb != nil {
				s.Feedback = &FrontendLatency{Count: fb.N, Mean: fb.Mean, StdErr: fb.StdErr, P50: fb.P50, P99: fb.P99, Min: fb.Min, Max: fb.Max}
			}
			for name, m := range l.Components {
				s.CPU[name], s.Mem[name] = m.CPUPct, m.RSSMiB
				if m.AnonMiB > 0 {
					s.Anon[name] = m.AnonMiB
				}
			}
			fc.Runs = append(fc.Runs, s)
		}
		out = append(out, fc)
	}
	return out
}

// settings flattens a run's configuration into name → text, for a table:
// lists are joined with ", ", nested objects get dotted names.
// withHistory adds how many commands the bank held when the run began.
func withHistory(out map[string]string, commands *int64) map[string]string {
	if commands == nil {
		return out
	}
	if out == nil {
		out = map[string]string{}
	}
	out["history_commands"] = strconv.FormatInt(*commands, 10)
	return out
}

// handlerSettings are the command handler's settings the Results page names
// a category by, under the keys it reads.
var handlerSettings = map[string]string{
	"kafka_client": "kafka_client", "kafka_linger_ms": "linger_ms", "command_batch_size": "batch_size",
	"command_batch_wait_ms": "batch_wait", "command_pipeline": "pipeline",
}

// withServices adds what the services ran with to a run's settings: every
// label as "SERVICE.LABEL", and the command handler's client and batching
// under the page's keys.
func withServices(out map[string]string, services map[string]map[string]string) map[string]string {
	if len(services) == 0 {
		return out
	}
	if out == nil {
		out = map[string]string{}
	}
	for svc, labels := range services {
		for k, v := range labels {
			out[svc+"."+k] = v
		}
	}
	for label, key := range handlerSettings {
		if v, ok := services["command-handler"][label]; ok {
			out[key] = v
		}
	}
	return out
}

func settings(config json.RawMessage) map[string]string {
	if len(config) == 0 {
		return nil
	}
	var v map[string]any
	if err := json.Unmarshal(config, &v); err != nil {
		return map[string]string{"config": string(config)}
	}
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				name := k
				if prefix != "" {
					name = prefix + "." + k
				}
				walk(name, e)
			}
		case []any:
			parts := make([]string, len(x))
			for i, e := range x {
				parts[i] = fmt.Sprint(e)
			}
			out[prefix] = strings.Join(parts, ", ")
		case nil:
			out[prefix] = ""
		default:
			out[prefix] = fmt.Sprint(x)
		}
	}
	walk("", v)
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
	var history []string
	for _, r := range c.Runs {
		if r.HistoryCommands != nil {
			history = append(history, strconv.FormatInt(*r.HistoryCommands, 10))
		}
	}
	if len(history) > 0 {
		s += "; history " + strings.Join(history, ", ") + " commands"
	}
	return s
}
