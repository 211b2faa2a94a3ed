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
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, false, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, false, fmt.Errorf("read metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, false, fmt.Errorf("read metrics %s: %s", url, resp.Status)
	}
	return Parse(resp.Body, metric)
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
