// Package metrictest reads a set of metrics back for tests, through the
// text format /metrics serves, as the load test and Prometheus read it.
package metrictest

import (
	"bytes"
	"testing"

	"openbank/kit/metric"
	"openbank/kit/scrape"
)

// Read is set as a scrape of /metrics would parse it.
func Read(t testing.TB, set *metric.Set) scrape.Metrics {
	t.Helper()
	var b bytes.Buffer
	if err := metric.Write(&b, set); err != nil {
		t.Fatal(err)
	}
	m, err := scrape.Parse(&b)
	if err != nil {
		t.Fatalf("parse the metrics: %v", err)
	}
	return m
}
