package metric_test

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/VictoriaMetrics/metrics"

	"openbank/kit/metric"
	"openbank/kit/scrape"
)

func TestName(t *testing.T) {
	for _, c := range []struct {
		pairs []string
		want  string
	}{
		{nil, "x_total"},
		{[]string{"type", "A"}, `x_total{type="A"}`},
		{[]string{"type", "A", "result", `say "hi"\` + "\n"}, `x_total{result="say \"hi\"\\\n",type="A"}`},
		{[]string{"z", "1", "a", "2", "m", "3"}, `x_total{a="2",m="3",z="1"}`},
	} {
		if got := metric.Name("x_total", c.pairs...); got != c.want {
			t.Errorf("Name(%q) = %s, want %s", c.pairs, got, c.want)
		}
		if err := metrics.ValidateMetric(metric.Name("x_total", c.pairs...)); err != nil {
			t.Errorf("%q: %v", c.pairs, err)
		}
	}
}

func TestVecMakesEachSeriesOnce(t *testing.T) {
	set := metrics.NewSet()
	v := metric.NewCounters[[2]string](set, "app_commands_total", "Commands.", "type", "result")
	a := v.With([2]string{"A", "ok"})
	if v.With([2]string{"A", "ok"}) != a || v.With([2]string{"A", "failed"}) == a {
		t.Error("With does not keep one counter per label values")
	}
	a.Inc()
	if got := set.ListMetricNames(); len(got) != 2 || got[0] != `app_commands_total{result="failed",type="A"}` {
		t.Errorf("series %q", got)
	}
}

func TestVecChecksItsLabels(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("two labels for one value did not panic")
		}
	}()
	metric.NewCounters[string](metrics.NewSet(), "x_total", "X.", "a", "b")
}

// TestWriteReadsBack: what Write serves, kit/scrape (the Prometheus text
// parser) reads back as counters, gauges and classic histograms.
func TestWriteReadsBack(t *testing.T) {
	set := metrics.NewSet()
	metric.NewCounters[string](set, "app_commands_total", "Commands, by type.", "type").With("B").Add(5)
	metric.NewGaugeFunc(set, "app_lag", `Records "behind" \ unread.`, func() float64 { return 7 })
	open := metric.NewGauges[string](set, "app_open", "Open.", "field")
	open.With("f").Inc()
	hops := metric.NewHistograms[string](set, "app_hop_seconds", "Time per hop.", metric.ExponentialBucketsRange(0.0001, 10, 26), "hop")
	hops.With("one").Update(0.0003)
	hops.With("one").Update(20)
	hops.With("two").Update(1)
	var b bytes.Buffer
	if err := metric.Write(&b, set); err != nil {
		t.Fatal(err)
	}
	for _, help := range []string{"# HELP app_commands_total Commands, by type.\n", `# HELP app_lag Records "behind" \\ unread.` + "\n",
		"# HELP app_hop_seconds Time per hop.\n"} {
		if !strings.Contains(b.String(), help) {
			t.Errorf("no %q", help)
		}
	}
	m, err := scrape.Parse(&b)
	if err != nil {
		t.Fatalf("%v in\n%s", err, b.String())
	}
	if v := m.Value("app_commands_total", "type", "B"); v != 5 {
		t.Errorf("counter %g", v)
	}
	if v := m.Value("app_lag"); v != 7 {
		t.Errorf("gauge func %g", v)
	}
	if v := m.Value("app_open", "field", "f"); v != 1 {
		t.Errorf("gauge %g", v)
	}
	h := m.Histogram("app_hop_seconds", "hop", "one")
	if h.Count != 2 || h.Sum != 20.0003 || len(h.Buckets) != 27 || !math.IsInf(h.Buckets[26].UpperBound, 1) {
		t.Fatalf("histogram %+v", h)
	}
	if h.Buckets[3].Count != 1 || h.Buckets[25].Count != 1 || h.Buckets[26].Count != 2 {
		t.Errorf("buckets %+v", h.Buckets)
	}
	if tot := m.Totals("app_hop_seconds", "hop"); len(tot) != 2 || tot["two"].Count != 1 {
		t.Errorf("totals %v", tot)
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", "process_resident_memory_bytes"} {
		if _, ok := m.Sum(name); !ok {
			t.Errorf("no %s", name)
		}
	}
}

// The bounds the Prometheus client gave bank_hop_seconds, as its exposition
// wrote them: dashboards and stored runs compare buckets by them.
var hopBounds = []string{"0.0001", "0.00015848931924611136", "0.00025118864315095806", "0.00039810717055349735",
	"0.0006309573444801935", "0.0010000000000000007", "0.0015848931924611145", "0.002511886431509582",
	"0.003981071705534976", "0.006309573444801938", "0.01000000000000001", "0.01584893192461115",
	"0.025118864315095833", "0.03981071705534978", "0.06309573444801941", "0.10000000000000016",
	"0.1584893192461116", "0.2511886431509584", "0.3981071705534979", "0.6309573444801945", "1.000000000000002",
	"1.5848931924611167", "2.511886431509586", "3.9810717055349816", "6.309573444801947", "10.000000000000023"}

func TestExponentialBucketsRangeAsBefore(t *testing.T) {
	got := metric.ExponentialBucketsRange(0.0001, 10, 26)
	var s []string
	for _, b := range got {
		s = append(s, strconv.FormatFloat(b, 'g', -1, 64))
	}
	if strings.Join(s, " ") != strings.Join(hopBounds, " ") {
		t.Errorf("bounds\n%v, want\n%v", s, hopBounds)
	}
	set := metrics.NewSet()
	set.NewPrometheusHistogramExt("h", got)
	var b bytes.Buffer
	set.WritePrometheus(&b)
	for _, le := range hopBounds {
		if !strings.Contains(b.String(), `h_bucket{le="`+le+`"} 0`) {
			t.Errorf("no bucket le=%q in\n%s", le, b.String())
		}
	}
	if e := metric.ExponentialBuckets(0.0005, 2, 14); e[0] != 0.0005 || e[13] != 0.0005*8192 {
		t.Errorf("exponential %v", e)
	}
}
