// Package scrape reads a service's Prometheus /metrics: the one scraper of
// the load test, the benchmarks and the chaos run. It parses the text
// exposition format with the Prometheus libraries and answers the questions
// they ask: a value, a sum over series, a histogram with its buckets.
package scrape

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Metrics is one scrape of a Prometheus text endpoint, by family name.
type Metrics map[string]*dto.MetricFamily

var client = &http.Client{Timeout: 5 * time.Second}

// Get reads url (a /metrics endpoint).
func Get(ctx context.Context, url string) (Metrics, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: %s", url, resp.Status)
	}
	m, err := Parse(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	return m, nil
}

// Parse reads the text exposition format.
func Parse(r io.Reader) (Metrics, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("parse metrics: %w", err)
	}
	return Metrics(families), nil
}

// Sum is the sum of every series of a counter, gauge or untyped metric;
// found is false when the metric is absent.
func (m Metrics) Sum(name string) (sum float64, found bool) {
	f, ok := m[name]
	if !ok {
		return 0, false
	}
	for _, s := range f.GetMetric() {
		sum += value(s)
	}
	return sum, true
}

// Totals are a histogram's sum and count.
type Totals struct{ Sum, Count float64 }

// Totals is the sum and count of histogram name per value of label; series
// with the same label value add up.
func (m Metrics) Totals(name, label string) map[string]Totals {
	out := map[string]Totals{}
	for _, s := range m[name].GetMetric() {
		h := s.GetHistogram()
		if h == nil {
			continue
		}
		key := ""
		for _, lp := range s.GetLabel() {
			if lp.GetName() == label {
				key = lp.GetValue()
			}
		}
		t := out[key]
		t.Sum += h.GetSampleSum()
		t.Count += float64(h.GetSampleCount())
		out[key] = t
	}
	return out
}

// find is the series of family name whose labels include labels (name, value pairs).
func (m Metrics) find(name string, labels ...string) *dto.Metric {
	f := m[name]
	if f == nil {
		return nil
	}
series:
	for _, s := range f.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			if !hasLabel(s, labels[i], labels[i+1]) {
				continue series
			}
		}
		return s
	}
	return nil
}

func hasLabel(s *dto.Metric, name, value string) bool {
	for _, l := range s.GetLabel() {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}

// Value is a counter's, gauge's or untyped metric's value (0 when absent).
func (m Metrics) Value(name string, labels ...string) float64 {
	s := m.find(name, labels...)
	if s == nil {
		return 0
	}
	return value(s)
}

func value(s *dto.Metric) float64 {
	switch {
	case s.Counter != nil:
		return s.Counter.GetValue()
	case s.Gauge != nil:
		return s.Gauge.GetValue()
	case s.Untyped != nil:
		return s.Untyped.GetValue()
	}
	return 0
}

// Histogram is a histogram's observations: count, sum and cumulative buckets.
type Histogram struct {
	Count   float64
	Sum     float64
	Buckets []Bucket // by upper bound, the last +Inf
}

// Bucket counts the observations at or below UpperBound.
type Bucket struct{ UpperBound, Count float64 }

// Histogram returns the named histogram (zero when absent).
func (m Metrics) Histogram(name string, labels ...string) Histogram {
	s := m.find(name, labels...)
	if s == nil || s.Histogram == nil {
		return Histogram{}
	}
	h := Histogram{Count: float64(s.Histogram.GetSampleCount()), Sum: s.Histogram.GetSampleSum()}
	for _, b := range s.Histogram.GetBucket() {
		h.Buckets = append(h.Buckets, Bucket{b.GetUpperBound(), float64(b.GetCumulativeCount())})
	}
	if n := len(h.Buckets); n == 0 || !math.IsInf(h.Buckets[n-1].UpperBound, 1) {
		h.Buckets = append(h.Buckets, Bucket{math.Inf(1), h.Count})
	}
	return h
}

// Since is the observations made after before, an earlier scrape of the same histogram.
func (h Histogram) Since(before Histogram) Histogram {
	d := Histogram{Count: h.Count - before.Count, Sum: h.Sum - before.Sum}
	for _, b := range h.Buckets {
		prev := 0.0
		if i := slices.IndexFunc(before.Buckets, func(x Bucket) bool { return x.UpperBound == b.UpperBound }); i >= 0 {
			prev = before.Buckets[i].Count
		}
		d.Buckets = append(d.Buckets, Bucket{b.UpperBound, b.Count - prev})
	}
	return d
}

// Mean is Sum/Count, 0 without observations.
func (h Histogram) Mean() float64 {
	if h.Count == 0 {
		return 0
	}
	return h.Sum / h.Count
}

// Quantile is the upper bound of the bucket that holds quantile q (0 without
// observations).
func (h Histogram) Quantile(q float64) float64 {
	if h.Count == 0 {
		return 0
	}
	for _, b := range h.Buckets {
		if b.Count >= q*h.Count {
			return b.UpperBound
		}
	}
	return math.Inf(1)
}

// Share is the fraction of observations at or below bound (0 without observations).
func (h Histogram) Share(bound float64) float64 {
	if h.Count == 0 {
		return 0
	}
	for _, b := range h.Buckets {
		if b.UpperBound == bound {
			return b.Count / h.Count
		}
	}
	return 0
}

// Labels are the label sets of every series of name, in order.
func (m Metrics) Labels(name string) []map[string]string {
	var out []map[string]string
	for _, s := range m[name].GetMetric() {
		l := map[string]string{}
		for _, lp := range s.GetLabel() {
			l[lp.GetName()] = lp.GetValue()
		}
		out = append(out, l)
	}
	return out
}
