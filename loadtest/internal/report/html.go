package report

import (
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// Chart is one rendered chart.
type Chart struct{ SVG template.HTML }

type page struct {
	R        Results
	Latency  []Chart
	Hops     []Chart
	CPU, RSS []Chart
}

// series picks one value per load of each category.
func series(r Results, pick func(Load) (float64, bool)) []Series {
	var out []Series
	for _, c := range r.Categories {
		s := Series{Name: c.Name}
		for _, l := range c.Loads {
			if v, ok := pick(l); ok {
				s.Points = append(s.Points, Point{X: l.AdditionalLoad, Y: v})
			}
		}
		out = append(out, s)
	}
	return out
}

// WriteHTML writes the report page: charts of latency, CPU and memory
// against the additional load (one line per category) and the tables.
func WriteHTML(w io.Writer, r Results) error {
	p := page{R: r}
	const x = "additional load (msg/s)"
	withLatency := func(f func(Load) float64) func(Load) (float64, bool) {
		return func(l Load) (float64, bool) { return f(l), l.Latency.N > 0 }
	}
	p.Latency = []Chart{
		{LineChart("Mean latency until visible", x, "ms", series(r, withLatency(func(l Load) float64 { return l.Latency.Mean })))},
		{LineChart("p99 latency until visible", x, "ms", series(r, withLatency(func(l Load) float64 { return l.Latency.P99 })))},
		{LineChart("p50 latency until visible", x, "ms", series(r, withLatency(func(l Load) float64 { return l.Latency.P50 })))},
		{LineChart("Max latency until visible", x, "ms", series(r, withLatency(func(l Load) float64 { return l.Latency.Max })))},
	}
	if hasFeedback(r) {
		p.Latency = append(p.Latency, Chart{LineChart("p99 latency until feedback", x, "ms", series(r, func(l Load) (float64, bool) {
			if l.Feedback == nil {
				return 0, false
			}
			return l.Feedback.P99, true
		}))})
	}
	p.Hops = hopCharts(r)
	for _, comp := range r.Components {
		pick := func(f func(ComponentMean) float64) func(Load) (float64, bool) {
			return func(l Load) (float64, bool) {
				m, ok := l.Components[comp]
				return f(m), ok
			}
		}
		p.CPU = append(p.CPU, Chart{LineChart("CPU of "+comp, x, "% of one core", series(r, pick(func(m ComponentMean) float64 { return m.CPUPct })))})
		p.RSS = append(p.RSS, Chart{LineChart("Memory of "+comp, x, "MiB (RSS)", series(r, pick(func(m ComponentMean) float64 { return m.RSSMiB })))})
	}
	return pageTemplate.Execute(w, p)
}

func hasFeedback(r Results) bool {
	for _, c := range r.Categories {
		for _, l := range c.Loads {
			if l.Feedback != nil {
				return true
			}
		}
	}
	return false
}

var pageTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"f0":      func(v float64) string { return fmt.Sprintf("%.0f", v) },
	"f1":      func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"join":    strings.Join,
	"deref":   func(p *float64) float64 { return *p },
	"deref64": func(p *int64) int64 { return *p },
	"comp": func(l Load, name string) *ComponentMean {
		if m, ok := l.Components[name]; ok {
			return &m
		}
		return nil
	},
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Open Bank load test report</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}
th{background:#f3f3f3} td.l,th.l{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:12px}
svg.chart{background:#fff;border:1px solid #eee}
</style></head><body>
<h1>Open Bank load test report</h1>
<p>Generated {{.R.Generated.Format "2006-01-02 15:04:05 MST"}}. Latency is the time from the command until the new
transaction was visible to the client (browser: on the page; api: on stream_transactions); feedback is the time until
money_transfer answered. Additional load is the heartbeat rate in messages per second, each turned into a command by
the command generator. CPU is % of one core; memory is resident set size summed over each component's processes.</p>

<h2>Categories</h2>
<table><tr><th class="l">category</th><th class="l">runs (category, driver, profile, end)</th><th>breaking point (msg/s)</th></tr>
{{range .R.Categories}}<tr><td class="l">{{.Name}}</td><td class="l">{{range .Runs}}{{.Category}}, {{.Driver}}, {{.Profile}}, {{if .EndReason}}{{.EndReason}}{{else}}cut off{{end}} after {{.Loops}} loops{{if .BreakingLoad}} at {{f0 (deref .BreakingLoad)}} msg/s{{end}}; {{.Machine.NProc}} CPUs, {{.Machine.CPUModel}}, {{.Versions.Go}}, {{.Versions.GitCommit}}{{if .HistoryCommands}}, on a bank of {{deref64 .HistoryCommands}} commands{{end}}<br>{{end}}</td>
<td>{{with .BreakingLoad}}mean {{f0 .Mean}} (min {{f0 .Min}}, max {{f0 .Max}}, n {{.N}}){{else}}not reached{{end}}</td></tr>{{end}}
</table>

{{with .R.FloorRatios}}<h2>Beside the floor</h2>
<p>The floor is what this machine allows the bank's path at the time of the report's floor measurement: two Kafka
round trips with the bank's producer and consumer settings (command, then event) and four PostgreSQL round trips
(claim, lock-and-read, commit, store), each counted as a commit; the p99 floor is the sum of p99s, an upper bound.
It is measured with the samples a few ms apart (floor) and with a no-load run's pause between them (idle floor),
when every hop first wakes an idle process. Figures at each category's lowest additional load, in ms.</p>
<table><tr><th class="l">category</th><th>load</th><th class="l">client</th><th>p50</th><th>floor p50</th><th>ratio</th><th>p99</th><th>floor p99</th><th>ratio</th><th>idle floor p50</th><th>ratio</th><th>idle floor p99</th><th>ratio</th></tr>
{{range .}}<tr><td class="l">{{.Category}}</td><td>{{f0 .Load}}</td><td class="l">{{.Client}}</td><td>{{f1 .BankP50}}</td><td>{{f1 .FloorP50}}</td><td>{{f1 .RatioP50}}×</td><td>{{f1 .BankP99}}</td><td>{{f1 .FloorP99}}</td><td>{{f1 .RatioP99}}×</td>{{with .Idle}}<td>{{f1 .FloorP50}}</td><td>{{f1 .RatioP50}}×</td><td>{{f1 .FloorP99}}</td><td>{{f1 .RatioP99}}×</td>{{else}}<td></td><td></td><td></td><td></td>{{end}}</tr>
{{end}}</table>{{end}}

<h2>Latency</h2>
<div class="charts">{{range .Latency}}{{.SVG}}{{end}}</div>
{{range .R.Categories}}{{$cat := .}}
<h3>{{.Name}}</h3>
<table><tr><th>load</th><th>n</th><th>mean</th><th>std err</th><th>p50</th><th>p90</th><th>p99</th><th>max</th><th>time-outs</th><th>errors</th><th>feedback p50</th><th>feedback p99</th><th>handler lag</th><th>generator lag</th></tr>
{{range .Loads}}<tr><td>{{f0 .AdditionalLoad}}</td><td>{{.Latency.N}}</td><td>{{f1 .Latency.Mean}}</td><td>{{f1 .Latency.StdErr}}</td><td>{{f1 .Latency.P50}}</td><td>{{f1 .Latency.P90}}</td><td>{{f1 .Latency.P99}}</td><td>{{f1 .Latency.Max}}</td><td>{{.Timeouts}}</td><td>{{.Errors}}</td><td>{{with .Feedback}}{{f1 .P50}}{{end}}</td><td>{{with .Feedback}}{{f1 .P99}}{{end}}</td><td>{{with .ConsumerLag}}{{f0 (deref .)}}{{end}}</td><td>{{with .GeneratorLag}}{{f0 (deref .)}}{{end}}</td></tr>
{{end}}</table>
<table><tr><th>load</th>{{range $.R.Components}}<th>{{.}} CPU %</th><th>{{.}} MiB</th>{{end}}</tr>
{{range .Loads}}{{$l := .}}<tr><td>{{f0 .AdditionalLoad}}</td>{{range $.R.Components}}{{with comp $l .}}<td>{{f1 .CPUPct}}</td><td>{{f1 .RSSMiB}}</td>{{else}}<td></td><td></td>{{end}}{{end}}</tr>
{{end}}</table>
{{end}}
{{with .Hops}}<h2>Time per hop</h2>
<p>Where a command's time goes, from the services' bank_hop_seconds histograms: at each additional load, the mean
time of every command or event that passed a hop while the load test ran at that load (not only the load test's own).
In the order a command passes them: the gateway until Kafka acknowledged the command; the command handler's queue,
deciding in balancedb and publishing until acknowledged; the gateway's queue of events, storing in transactiondb and
pushing to subscribers. A queued hop starts in the middle of the millisecond the Kafka record's timestamp names.</p>
<div class="charts">{{range .}}{{.SVG}}{{end}}</div>{{end}}
<h2>CPU</h2>
<div class="charts">{{range .CPU}}{{.SVG}}{{end}}</div>
<h2>Memory</h2>
<div class="charts">{{range .RSS}}{{.SVG}}{{end}}</div>
</body></html>
`))

// WriteTable prints the summary: per category and load the latency figures,
// then each component's mean CPU and memory over the whole category.
func WriteTable(w io.Writer, r Results) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "category\tload\tn\tmean\tse\tp50\tp90\tp99\tmax\ttime-outs\terrors\tfeedback p99\t")
	for _, c := range r.Categories {
		for _, l := range c.Loads {
			fb := ""
			if l.Feedback != nil {
				fb = fmt.Sprintf("%.1f", l.Feedback.P99)
			}
			fmt.Fprintf(tw, "%s\t%.0f\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%d\t%d\t%s\t\n", c.Name, l.AdditionalLoad, l.Latency.N,
				l.Latency.Mean, l.Latency.StdErr, l.Latency.P50, l.Latency.P90, l.Latency.P99, l.Latency.Max, l.Timeouts, l.Errors, fb)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if err := writeFloor(w, r); err != nil {
		return err
	}
	if err := writeHops(w, r); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "category\tcomponent\tmean CPU %\tmean MiB\tbreaking point\t")
	for _, c := range r.Categories {
		breaking := "not reached"
		if c.BreakingLoad != nil {
			breaking = fmt.Sprintf("%.0f msg/s (n %d)", c.BreakingLoad.Mean, c.BreakingLoad.N)
		}
		comps := map[string][2]float64{}
		counts := map[string]int{}
		for _, l := range c.Loads {
			for name, m := range l.Components {
				v := comps[name]
				comps[name] = [2]float64{v[0] + m.CPUPct*float64(m.Samples), v[1] + m.RSSMiB*float64(m.Samples)}
				counts[name] += m.Samples
			}
		}
		names := make([]string, 0, len(comps))
		for n := range comps {
			names = append(names, n)
		}
		sort.Strings(names)
		if len(names) == 0 {
			fmt.Fprintf(tw, "%s\t-\t\t\t%s\t\n", c.Name, breaking)
		}
		for i, n := range names {
			b := ""
			if i == 0 {
				b = breaking
			}
			v := comps[n]
			fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.1f\t%s\t\n", c.Name, n, v[0]/float64(counts[n]), v[1]/float64(counts[n]), b)
		}
	}
	return tw.Flush()
}
