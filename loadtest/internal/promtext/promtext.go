// Package promtext reads one metric from a service's Prometheus /metrics,
// e.g. the command handler's consumer lag.
package promtext

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

var client = &http.Client{Timeout: 5 * time.Second}

// Fetch reads url and returns the sum of all series of metric (gauge,
// counter or untyped); found is false when the metric is absent.
func Fetch(ctx context.Context, url, metric string) (value float64, found bool, err error) {
	var v float64
	err = get(ctx, url, func(r io.Reader) error {
		var perr error
		v, found, perr = Parse(r, metric)
		return perr
	})
	return v, found, err
}

// FetchHistograms reads url and returns the sum and count of histogram
// metric per value of label.
func FetchHistograms(ctx context.Context, url, metric, label string) (map[string]Totals, error) {
	var out map[string]Totals
	err := get(ctx, url, func(r io.Reader) error {
		var perr error
		out, perr = ParseHistograms(r, metric, label)
		return perr
	})
	return out, err
}

func get(ctx context.Context, url string, read func(io.Reader) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("read metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("read metrics %s: %s", url, resp.Status)
	}
	return read(resp.Body)
}

// Totals are a histogram's sum and count.
type Totals struct{ Sum, Count float64 }

// ParseHistograms returns the sum and count of histogram metric per value of
// label, in the text exposition format; series with the same label value add up.
func ParseHistograms(r io.Reader, metric, label string) (map[string]Totals, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("parse metrics: %w", err)
	}
	out := map[string]Totals{}
	for _, m := range families[metric].GetMetric() {
		h := m.GetHistogram()
		if h == nil {
			continue
		}
		key := ""
		for _, lp := range m.GetLabel() {
			if lp.GetName() == label {
				key = lp.GetValue()
			}
		}
		t := out[key]
		t.Sum += h.GetSampleSum()
		t.Count += float64(h.GetSampleCount())
		out[key] = t
	}
	return out, nil
}

// Parse returns the sum of metric's series in the text exposition format.
func Parse(r io.Reader, metric string) (float64, bool, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(r)
	if err != nil {
		return 0, false, fmt.Errorf("parse metrics: %w", err)
	}
	f, ok := families[metric]
	if !ok {
		return 0, false, nil
	}
	sum := 0.0
	for _, m := range f.GetMetric() {
		switch {
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Untyped != nil:
			sum += m.GetUntyped().GetValue()
		}
	}
	return sum, true, nil
}
