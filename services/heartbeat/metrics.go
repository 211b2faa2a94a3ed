package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"openbank/services/heartbeat/internal/beat"
)

// metrics are the heartbeat's Prometheus metrics; they implement beat.Counts.
type metrics struct {
	reg                              *prometheus.Registry
	sent, delivered, failed, skipped prometheus.Counter
}

// newMetrics registers the heartbeat's metrics in reg.
func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		reg: reg,
		sent: prometheus.NewCounter(prometheus.CounterOpts{Name: "heartbeat_beats_sent_total",
			Help: "Beats handed to Kafka."}),
		delivered: prometheus.NewCounter(prometheus.CounterOpts{Name: "heartbeat_beats_delivered_total",
			Help: "Beats acknowledged by Kafka."}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{Name: "heartbeat_beats_failed_total",
			Help: "Beats not sent or not acknowledged (their numbers are left out, never reused)."}),
		skipped: prometheus.NewCounter(prometheus.CounterOpts{Name: "heartbeat_ticks_skipped_total",
			Help: "Ticks skipped because sending fell more than a second behind the clock."}),
	}
	reg.MustRegister(m.sent, m.delivered, m.failed, m.skipped)
	return m
}

// watch exposes the loop's settings and achieved rate.
func (m *metrics) watch(loop *beat.Loop) {
	gauge := func(name, help string, f func(beat.Status) float64) {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help},
			func() float64 { return f(loop.Status()) }))
	}
	gauge("heartbeat_rate_set", "Messages per second the heartbeat is set to (batch size / interval).",
		func(s beat.Status) float64 { return s.Settings.Rate() })
	gauge("heartbeat_rate_achieved", "Messages per second acknowledged by Kafka over the last 5 s.",
		func(s beat.Status) float64 { return s.AchievedRate })
	gauge("heartbeat_batch_size", "Beats sent per interval.",
		func(s beat.Status) float64 { return float64(s.Settings.BatchSize) })
	gauge("heartbeat_interval_seconds", "Time between batches.",
		func(s beat.Status) float64 { return s.Settings.Interval.Seconds() })
	gauge("heartbeat_paused", "1 while paused.", func(s beat.Status) float64 {
		if s.Paused {
			return 1
		}
		return 0
	})
	gauge("heartbeat_next_beat", "The next beat to send.", func(s beat.Status) float64 { return float64(s.Beat) })
}

func (m *metrics) Sent(n int)          { m.sent.Add(float64(n)) }
func (m *metrics) Delivered(n int)     { m.delivered.Add(float64(n)) }
func (m *metrics) Failed(n int)        { m.failed.Add(float64(n)) }
func (m *metrics) Skipped(ticks int64) { m.skipped.Add(float64(ticks)) }
