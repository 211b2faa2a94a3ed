package main

import (
	"testing"

	"openbank/kit/metric"
	"openbank/kit/metric/metrictest"
)

// TestMetrics: the counts reach /metrics under the heartbeat's names.
func TestMetrics(t *testing.T) {
	set := metric.NewSet()
	m := newMetrics(set)
	m.Sent(5)
	m.Delivered(4)
	m.Failed(1)
	m.Skipped(3)
	read := metrictest.Read(t, set)
	for name, want := range map[string]float64{"heartbeat_beats_sent_total": 5, "heartbeat_beats_delivered_total": 4,
		"heartbeat_beats_failed_total": 1, "heartbeat_ticks_skipped_total": 3} {
		if got := read.Value(name); got != want {
			t.Errorf("%s = %g, want %g", name, got, want)
		}
	}
}
