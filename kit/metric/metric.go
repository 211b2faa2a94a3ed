// Package metric is the services' one way to declare and serve Prometheus
// metrics, on github.com/VictoriaMetrics/metrics (text exposition, no
// protobuf runtime linked): a labelled series is a name with its labels in
// the string (Name), a family with labels keeps one series per label values,
// made on first use and cached (Vec), and Write renders a set with the Go
// runtime's and the process's metrics and each family's help.
package metric

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/VictoriaMetrics/metrics"
)

// Set is a service's own metrics (not the library's global default set).
type Set = metrics.Set

// The series types, so services name them through this package alone.
type (
	Counter   = metrics.Counter
	Gauge     = metrics.Gauge
	Histogram = metrics.PrometheusHistogram
)

// NewSet is an empty set of metrics.
func NewSet() *Set { return metrics.NewSet() }

// The TYPE lines tell histograms from counters: kit/scrape and Prometheus
// read a histogram's _bucket, _sum and _count as one family by them.
func init() { metrics.ExposeMetadata(true) }

// ContentType is the text exposition format's.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// helps maps a family's name to its help text; the library writes HELP
// lines without text, so Write fills them in from here.
var helps sync.Map

// Describe gives the family of name (a series' name with its labels will
// do) the help text its HELP line shows.
func Describe(name, help string) {
	family, _, _ := strings.Cut(name, "{")
	helps.Store(family, help)
}

// Write writes set, then the Go runtime's and the process's metrics
// (go_*, process_*), to w, each HELP line with its family's text.
func Write(w io.Writer, set *Set) error {
	var b bytes.Buffer
	set.WritePrometheus(&b)
	metrics.WriteProcessMetrics(&b)
	out := make([]byte, 0, b.Len()+4096)
	for line := range bytes.Lines(b.Bytes()) {
		if name, isHelp := bytes.CutPrefix(line, []byte("# HELP ")); isHelp {
			name = bytes.TrimSuffix(name, []byte{'\n'})
			if help, known := helps.Load(string(name)); known {
				out = fmt.Appendf(out, "# HELP %s %s\n", name, helpEscaper.Replace(help.(string)))
				continue
			}
		}
		out = append(out, line...)
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("write metrics: %w", err)
	}
	return nil
}

var helpEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`)

// Handler serves set (and the Go and process metrics) in the text format.
func Handler(set *Set) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", ContentType)
		_ = Write(w, set) // the scraper is gone; nothing to answer
	})
}

// NewCounter is a counter on set; name may carry labels (Name).
func NewCounter(set *Set, name, help string) *Counter {
	Describe(name, help)
	return set.NewCounter(name)
}

// NewGaugeFunc is a gauge on set that reads f at each scrape; name may
// carry labels (Name).
func NewGaugeFunc(set *Set, name, help string, f func() float64) *Gauge {
	Describe(name, help)
	return set.NewGauge(name, f)
}

// NewHistogram is a Prometheus histogram without labels on set (classic
// buckets with these upper bounds, _sum and _count).
func NewHistogram(set *Set, name, help string, buckets []float64) *Histogram {
	Describe(name, help)
	return set.NewPrometheusHistogramExt(name, buckets)
}

// Name is name{label="value",...} from label, value pairs, the labels in
// name order (as the Prometheus client wrote them, so a series reads the
// same whichever order it was declared in) and the values escaped as the
// text format wants; without pairs it is name.
func Name(name string, pairs ...string) string {
	if len(pairs)%2 != 0 {
		panic(fmt.Sprintf("metric %s: labels %q are not name, value pairs", name, pairs))
	}
	if len(pairs) == 0 {
		return name
	}
	order := make([]int, 0, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		order = append(order, i)
	}
	sort.SliceStable(order, func(a, b int) bool { return pairs[order[a]] < pairs[order[b]] })
	var b strings.Builder
	b.WriteString(name)
	for n, i := range order {
		if n == 0 {
			b.WriteByte('{')
		} else {
			b.WriteByte(',')
		}
		b.WriteString(pairs[i])
		b.WriteString(`="`)
		b.WriteString(escaper.Replace(pairs[i+1]))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

var escaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// Values are the label values of one series of a Vec: a string for one
// label, an array for two or three (comparable, so a lookup allocates nothing).
type Values interface {
	string | [2]string | [3]string
}

func valueList[V Values](v V) []string {
	switch v := any(v).(type) {
	case string:
		return []string{v}
	case [2]string:
		return v[:]
	case [3]string:
		return v[:]
	}
	panic("unreachable")
}

// Vec is a metric family with labels: one series per label values, named
// and registered once, on first use, then taken from a cache.
type Vec[V Values, M any] struct {
	name   string
	labels []string
	create func(name string) M

	mu     sync.RWMutex
	series map[V]M
}

func newVec[V Values, M any](name string, labels []string, create func(string) M) *Vec[V, M] {
	var zero V
	if n := len(valueList(zero)); n != len(labels) {
		panic(fmt.Sprintf("metric %s: %d labels %q for %d values", name, len(labels), labels, n))
	}
	return &Vec[V, M]{name: name, labels: labels, create: create, series: map[V]M{}}
}

// With is the series of values, made and registered on its first use.
func (v *Vec[V, M]) With(values V) M {
	v.mu.RLock()
	m, ok := v.series[values]
	v.mu.RUnlock()
	if ok {
		return m
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if m, ok := v.series[values]; ok {
		return m
	}
	vals := valueList(values)
	pairs := make([]string, 0, 2*len(vals))
	for i, l := range v.labels {
		pairs = append(pairs, l, vals[i])
	}
	m = v.create(Name(v.name, pairs...))
	v.series[values] = m
	return m
}

// Counters, Gauges and Histograms are the families of each kind.
type (
	Counters[V Values]   = Vec[V, *Counter]
	Gauges[V Values]     = Vec[V, *Gauge]
	Histograms[V Values] = Vec[V, *Histogram]
)

// NewCounters is a counter family on set, by labels.
func NewCounters[V Values](set *Set, name, help string, labels ...string) *Counters[V] {
	Describe(name, help)
	return newVec[V](name, labels, set.NewCounter)
}

// NewGauges is a family of gauges that are set (Set, Inc, Dec) on set, by labels.
func NewGauges[V Values](set *Set, name, help string, labels ...string) *Gauges[V] {
	Describe(name, help)
	return newVec[V](name, labels, func(n string) *Gauge { return set.NewGauge(n, nil) })
}

// NewHistograms is a family of Prometheus histograms (classic buckets with
// these upper bounds, _sum and _count) on set, by labels.
func NewHistograms[V Values](set *Set, name, help string, buckets []float64, labels ...string) *Histograms[V] {
	Describe(name, help)
	return newVec[V](name, labels, func(n string) *Histogram {
		return set.NewPrometheusHistogramExt(n, buckets)
	})
}

// ExponentialBuckets are count upper bounds from start, each factor times
// the one before.
func ExponentialBuckets(start, factor float64, count int) []float64 {
	return metrics.ExponentialBuckets(start, factor, count)
}

// ExponentialBucketsRange are count upper bounds from lowest to highest,
// each the same factor times the one before (the Prometheus client's
// formula, so the bounds are the same to the last digit).
func ExponentialBucketsRange(lowest, highest float64, count int) []float64 {
	if count < 2 || lowest <= 0 || highest <= lowest {
		panic(fmt.Sprintf("exponential buckets from %g to %g in %d", lowest, highest, count))
	}
	growth := math.Pow(highest/lowest, 1.0/float64(count-1))
	b := make([]float64, count)
	for i := range b {
		b[i] = lowest * math.Pow(growth, float64(i))
	}
	return b
}
