package commands

import (
	"time"

	"openbank/kit/metric"
	"openbank/kit/observe"
)

// Metrics are the command handler's Prometheus metrics, all of them but
// those every service has (kit/service) and the time per hop's histogram
// (kit/observe), which it registers here too.
type Metrics struct {
	// Set is what they are registered on (the service's, or their own).
	Set           *metric.Set
	Commands      *metric.Counters[[2]string] // by type and result
	Rejections    *metric.Counters[[2]string] // by type and reason
	DeadLetters   *metric.Counter
	Latency       *metric.Histogram
	BatchDuration *metric.Histogram
	BatchSize     *metric.Histogram
	Stage         *metric.Histograms[string]
	Hops          *metric.Histograms[string] // bank_hop_seconds: handler_queued, handler_decided, handler_published
}

// NewMetrics registers the handler's metrics on set; a nil set gives them
// a set of their own, served nowhere (tests).
func NewMetrics(set *metric.Set) *Metrics {
	if set == nil {
		set = metric.NewSet()
	}
	return &Metrics{
		Set: set,
		Commands: metric.NewCounters[[2]string](set, "command_handler_commands_total",
			"Commands handled, by type and result (confirmed, failed, duplicate, redelivered).", "type", "result"),
		Rejections: metric.NewCounters[[2]string](set, "command_handler_rejections_total",
			"Failed commands by type and reason.", "type", "reason"),
		DeadLetters: metric.NewCounter(set, "command_handler_dead_letters_total",
			"Decodable records on the commands topic that are no valid command (bad key), sent to the dead-letter topic."),
		Latency: metric.NewHistogram(set, "command_handler_command_latency_seconds",
			"From a command's Kafka timestamp until its events are acknowledged by Kafka.",
			metric.ExponentialBuckets(0.001, 2, 14)), // 1 ms .. 8 s
		BatchDuration: metric.NewHistogram(set, "command_handler_batch_duration_seconds",
			"Time to handle one batch: decide in the database and publish the events.",
			metric.ExponentialBuckets(0.0005, 2, 14)), // 0.5 ms .. 4 s
		BatchSize: metric.NewHistogram(set, "command_handler_batch_size", "Records per batch.",
			[]float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000}),
		Stage: metric.NewHistograms[string](set, "command_handler_batch_stage_seconds",
			"Time per batch in each stage: decide (the database transaction) and publish (until Kafka acknowledged every event).",
			metric.ExponentialBuckets(0.0005, 2, 14), "stage"),
		Hops: observe.NewHopHistogram(set),
	}
}

func (m *Metrics) observeBatch(size int, took time.Duration) {
	m.BatchSize.Update(float64(size))
	m.BatchDuration.Update(took.Seconds())
}

// ObserveLag registers command_handler_consumer_lag on set, read from lag
// at each scrape (-1 when it cannot be read).
func ObserveLag(set *metric.Set, lag func() (int64, error)) {
	metric.NewGaugeFunc(set, "command_handler_consumer_lag", "Records of the assigned commands partitions not yet read.",
		func() float64 {
			n, err := lag()
			if err != nil {
				return -1
			}
			return float64(n)
		})
}
