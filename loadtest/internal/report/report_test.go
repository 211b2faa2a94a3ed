package report

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"openbank/loadtest/internal/result"
)

func f(v float64) *float64 { return &v }

func file(category string, breaking *float64, samples []result.Sample, res []result.Resources) *result.File {
	end := &result.End{Type: result.TypeEnd, Reason: "max-loops", Loops: len(samples)}
	if breaking != nil {
		end.Reason, end.BreakingLoad = "timeouts", breaking
	}
	return &result.File{Path: category + ".jsonl", Run: result.Run{Type: result.TypeRun, Category: category, Driver: "api"},
		Samples: samples, Resources: res, End: end}
}

func lat(load, ms float64) result.Sample {
	return result.Sample{Type: result.TypeSample, AdditionalLoad: load, LatencyMS: f(ms), FeedbackMS: f(ms / 2)}
}

func TestBuildGroupsByMappedCategoryAndLoad(t *testing.T) {
	a := file("go-linger5", f(300), []result.Sample{lat(0, 10), lat(0, 20), lat(10, 100),
		{AdditionalLoad: 10, Timeout: true}, {AdditionalLoad: 10, Error: "refused"}},
		[]result.Resources{{AdditionalLoad: 0, Components: map[string]result.Component{
			"kafka": {CPUPct: 50, RSSMiB: 400, Found: true}, "heartbeat": {Found: false}}, ConsumerLag: f(4)}})
	b := file("go-linger100", f(500), []result.Sample{lat(0, 30), lat(0, 40)},
		[]result.Resources{{AdditionalLoad: 0, Components: map[string]result.Component{"kafka": {CPUPct: 70, RSSMiB: 600, Found: true}}}})
	c := file("rust", nil, []result.Sample{lat(0, 5)}, nil)
	mappings := []Mapping{{"go-*", "go"}}
	r := Build([]*result.File{a, b, c}, mappings, time.Unix(0, 0))

	if len(r.Categories) != 2 || r.Categories[0].Name != "go" || r.Categories[1].Name != "rust" {
		t.Fatalf("categories = %+v", r.Categories)
	}
	g := r.Categories[0]
	if strings.Join(g.Sources, ",") != "go-linger100,go-linger5" || len(g.Runs) != 2 {
		t.Errorf("sources %v runs %d", g.Sources, len(g.Runs))
	}
	if g.BreakingLoad == nil || g.BreakingLoad.Mean != 400 || g.BreakingLoad.N != 2 {
		t.Errorf("breaking load = %+v", g.BreakingLoad)
	}
	if len(g.Loads) != 2 || g.Loads[0].AdditionalLoad != 0 || g.Loads[1].AdditionalLoad != 10 {
		t.Fatalf("loads = %+v", g.Loads)
	}
	l0 := g.Loads[0]
	// 10, 20, 30, 40 from both runs: mean 25, p50 25.
	if l0.Latency.N != 4 || l0.Latency.Mean != 25 || l0.Latency.P50 != 25 || l0.Latency.Max != 40 {
		t.Errorf("load 0 latency = %+v", l0.Latency)
	}
	if want := math.Sqrt(500.0/3) / 2; math.Abs(l0.Latency.StdErr-want) > 1e-9 {
		t.Errorf("std err = %v, want %v", l0.Latency.StdErr, want)
	}
	if l0.Feedback == nil || l0.Feedback.Mean != 12.5 {
		t.Errorf("feedback = %+v", l0.Feedback)
	}
	if k := l0.Components["kafka"]; k.CPUPct != 60 || k.RSSMiB != 500 || k.Samples != 2 {
		t.Errorf("kafka = %+v", k)
	}
	if _, ok := l0.Components["heartbeat"]; ok {
		t.Error("a component that was not found got figures")
	}
	if l0.ConsumerLag == nil || *l0.ConsumerLag != 4 {
		t.Errorf("lag = %v", l0.ConsumerLag)
	}
	l1 := g.Loads[1]
	if l1.Samples != 3 || l1.Timeouts != 1 || l1.Errors != 1 || l1.Latency.N != 1 {
		t.Errorf("load 10 = %+v", l1)
	}
	if strings.Join(r.Components, ",") != "heartbeat,kafka" {
		t.Errorf("components = %v", r.Components)
	}
	if r.Categories[1].BreakingLoad != nil {
		t.Error("rust never broke")
	}
}

func TestMapping(t *testing.T) {
	m, err := ParseMapping("go-*=go")
	if err != nil || CategoryOf("go-rdkafka", []Mapping{m}) != "go" || CategoryOf("rust", []Mapping{m}) != "rust" {
		t.Errorf("mapping %+v %v", m, err)
	}
	for _, bad := range []string{"go", "=go", "go-*=", "[=x"} {
		if _, err := ParseMapping(bad); err == nil {
			t.Errorf("ParseMapping(%q) accepted", bad)
		}
	}
	first := []Mapping{{"go-*", "go"}, {"go-rd*", "rd"}}
	if CategoryOf("go-rdkafka", first) != "go" {
		t.Error("the first matching mapping must win")
	}
}

func TestFrontendFormat(t *testing.T) {
	r := Build([]*result.File{file("go", f(30), []result.Sample{lat(0, 10), lat(0, 30), {AdditionalLoad: 30, Timeout: true}},
		[]result.Resources{{AdditionalLoad: 0, Components: map[string]result.Component{
			"kafka":   {CPUPct: 5, RSSMiB: 9, AnonMiB: 7, FileMiB: 2, Found: true},
			"service": {CPUPct: 1, RSSMiB: 4, Found: true}, // a sampler that could not split it
		}}})}, nil, time.Unix(0, 0))
	b, err := json.Marshal(Frontend(r))
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	// The load with only a time-out has no latency figures: left out.
	if len(got) != 1 || got[0]["category"] != "go" || len(got[0]["runs"].([]any)) != 1 {
		t.Fatalf("frontend = %s", b)
	}
	step := got[0]["runs"].([]any)[0].(map[string]any)
	for _, k := range []string{"additional_load", "count", "mean", "stderr", "p50", "p90", "p99", "max", "timeouts", "cpu", "mem"} {
		if _, ok := step[k]; !ok {
			t.Errorf("step has no %s: %s", k, b)
		}
	}
	if step["mean"] != 20.0 || step["cpu"].(map[string]any)["kafka"] != 5.0 || step["mem"].(map[string]any)["kafka"] != 9.0 {
		t.Errorf("step = %v", step)
	}
	if anon, _ := step["anon"].(map[string]any); anon["kafka"] != 7.0 || len(anon) != 1 {
		t.Errorf("anon = %v, want kafka's 7 alone", step["anon"])
	}
	if d, _ := got[0]["description"].(string); !strings.Contains(d, "breaking point 30") {
		t.Errorf("description = %q", d)
	}
}

func TestHTMLAndTable(t *testing.T) {
	r := Build([]*result.File{
		file("go", nil, []result.Sample{lat(0, 10), lat(10, 20)}, []result.Resources{
			{AdditionalLoad: 0, Components: map[string]result.Component{"command-handler": {CPUPct: 1, RSSMiB: 20, Found: true}}}}),
		file("<script>", nil, []result.Sample{lat(0, 15)}, nil),
	}, nil, time.Unix(0, 0))
	var page bytes.Buffer
	if err := WriteHTML(&page, r); err != nil {
		t.Fatal(err)
	}
	html := page.String()
	if strings.Count(html, "<svg") < 6 || !strings.Contains(html, "CPU of command-handler") || !strings.Contains(html, "<polyline") {
		t.Errorf("report lacks charts")
	}
	if strings.Contains(html, "<script>") {
		t.Error("a category name was not escaped")
	}
	var table bytes.Buffer
	if err := WriteTable(&table, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "command-handler") || !strings.Contains(table.String(), "p99") {
		t.Errorf("table:\n%s", table.String())
	}
}

func TestLineChartEmptyAndFlat(t *testing.T) {
	if s := string(LineChart("t", "x", "y", nil)); !strings.Contains(s, "no data") {
		t.Errorf("empty chart: %s", s)
	}
	s := string(LineChart("t", "x", "y", []Series{{Name: "a", Points: []Point{{0, 0}}}}))
	if strings.Contains(s, "NaN") || strings.Contains(s, "Inf") {
		t.Errorf("one-point chart has NaN/Inf: %s", s)
	}
}

// at is a sample at load, sec seconds after the epoch.
func at(load, ms, sec float64) result.Sample {
	s := lat(load, ms)
	s.Time = time.Unix(0, 0).Add(time.Duration(sec * float64(time.Second)))
	return s
}

func TestFrontendRunDetailsThroughputAchievedLoadAndHops(t *testing.T) {
	a := file("go", f(20), []result.Sample{at(0, 10, 0), at(0, 30, 1), at(0, 20, 2), {AdditionalLoad: 0, Timeout: true}},
		[]result.Resources{
			{AdditionalLoad: 0, AchievedRate: f(0), // before the heartbeat's first full second: not counted
				Hops: map[string]result.HopTotal{"gateway_command_acknowledged": {Sum: 100, Count: 1000}}},
			{AdditionalLoad: 0, AchievedRate: f(9),
				Hops: map[string]result.HopTotal{"gateway_command_acknowledged": {Sum: 100.004, Count: 1001}, "handler_decided": {Sum: 1, Count: 1}}},
			{AdditionalLoad: 0, AchievedRate: f(11),
				Hops: map[string]result.HopTotal{"gateway_command_acknowledged": {Sum: 100.006, Count: 1002}, "handler_decided": {Sum: 1.016, Count: 3}}},
			// The service restarted: its counters began again, so this interval is left out.
			{AdditionalLoad: 0, Hops: map[string]result.HopTotal{"gateway_command_acknowledged": {Sum: 0.001, Count: 1}}},
		})
	a.Run.Config = json.RawMessage(`{"profile":"steep","timeout":"5s","load_step":250,"components":["kafka=port:1","db=port:2"],"nested":{"a":true}}`)
	a.Run.Machine = result.Machine{NProc: 2, CPUModel: "Xeon"}
	a.Run.Versions = result.Versions{Go: "go1.26.8", Chromium: "Chromium 140"}
	history := int64(3_500_000)
	a.Run.HistoryCommands = &history
	a.Run.Services = map[string]map[string]string{"command-handler": {"kafka_client": "franz", "kafka_linger_ms": "0",
		"command_batch_size": "500", "command_pipeline": "false", "revision": "abc"}}
	got := Frontend(Build([]*result.File{a}, nil, time.Unix(0, 0)))
	if len(got) != 1 || len(got[0].Runs) != 1 {
		t.Fatalf("frontend = %+v", got)
	}
	c := got[0]
	if c.BreakingPoint == nil || *c.BreakingPoint != 20 {
		t.Errorf("breaking point = %v", c.BreakingPoint)
	}
	if len(c.RunDetails) != 1 {
		t.Fatalf("run details = %+v", c.RunDetails)
	}
	rd := c.RunDetails[0]
	if rd.Driver != "api" || rd.EndReason != "timeouts" || rd.Machine.CPUModel != "Xeon" || rd.Versions.Chromium != "Chromium 140" ||
		rd.BreakingLoad == nil || *rd.BreakingLoad != 20 {
		t.Errorf("run details = %+v", rd)
	}
	for k, want := range map[string]string{"profile": "steep", "timeout": "5s", "load_step": "250",
		"components": "kafka=port:1, db=port:2", "nested.a": "true",
		// what the command handler said it runs, under the keys the page reads
		"kafka_client": "franz", "linger_ms": "0", "batch_size": "500", "pipeline": "false",
		"command-handler.revision": "abc", "history_commands": "3500000"} {
		if rd.Settings[k] != want {
			t.Errorf("setting %s = %q, want %q (all: %v)", k, rd.Settings[k], want, rd.Settings)
		}
	}
	s := c.Runs[0]
	if s.Min != 10 || s.Samples != 4 || s.Timeouts != 1 || s.Count != 3 {
		t.Errorf("step = %+v", s)
	}
	if s.Feedback == nil || s.Feedback.Min != 5 || s.Feedback.Max != 15 || s.Feedback.Count != 3 {
		t.Errorf("feedback = %+v", s.Feedback)
	}
	if s.AchievedLoad == nil || *s.AchievedLoad != 10 {
		t.Errorf("achieved load = %v", s.AchievedLoad)
	}
	// Three timed samples over 2 s: 1 interaction a second (the time-out has no time).
	if s.Throughput == nil || *s.Throughput != 1 {
		t.Errorf("throughput = %v", s.Throughput)
	}
	// The mean per hop over what each histogram grew by: 6 ms over 2 and 16 ms over 2.
	if math.Abs(s.Hops["gateway_command_acknowledged"]-3) > 1e-6 || math.Abs(s.Hops["handler_decided"]-8) > 1e-6 || len(s.Hops) != 2 {
		t.Errorf("hops = %v", s.Hops)
	}
}

func TestFrontendLeavesOutWhatWasNotMeasured(t *testing.T) {
	b, err := json.Marshal(Frontend(Build([]*result.File{file("rust", nil, []result.Sample{{AdditionalLoad: 0, LatencyMS: f(5)}}, nil)}, nil, time.Unix(0, 0))))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"breaking_point", "hops", "feedback", "achieved_load", "throughput"} {
		if strings.Contains(string(b), `"`+k+`"`) {
			t.Errorf("%s present though not measured: %s", k, b)
		}
	}
}
