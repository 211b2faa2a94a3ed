package main

import (
	"openbank/kit/metric"
	"openbank/services/heartbeat/internal/beat"
)

// metrics are the heartbeat's Prometheus metrics; they implement beat.Counts.
type metrics struct {
	set                              *metric.Set
	sent, delivered, failed, skipped *metric.Counter
}

// newMetrics registers the heartbeat's metrics on set.
func newMetrics(set *metric.Set) *metrics {
	return &metrics{
		set:       set,
		sent:      metric.NewCounter(set, "heartbeat_beats_sent_total", "Beats handed to Kafka."),
		delivered: metric.NewCounter(set, "heartbeat_beats_delivered_total", "Beats acknowledged by Kafka."),
		failed: metric.NewCounter(set, "heartbeat_beats_failed_total",
			"Beats not sent or not acknowledged (their numbers are left out, never reused)."),
		skipped: metric.NewCounter(set, "heartbeat_ticks_skipped_total",
			"Ticks skipped because sending fell more than a second behind the clock."),
	}
}

// watch exposes the loop's settings and achieved rate.
func (m *metrics) watch(loop *beat.Loop) {
	gauge := func(name, help string, f func(beat.Status) float64) {
		metric.NewGaugeFunc(m.set, name, help, func() float64 { return f(loop.Status()) })
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

func (m *metrics) Sent(n int)          { m.sent.Add(n) }
func (m *metrics) Delivered(n int)     { m.delivered.Add(n) }
func (m *metrics) Failed(n int)        { m.failed.Add(n) }
func (m *metrics) Skipped(ticks int64) { m.skipped.AddInt64(ticks) }
