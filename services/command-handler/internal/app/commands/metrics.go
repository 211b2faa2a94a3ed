package commands

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"openbank/kit/observe"
)

// Metrics are the command handler's Prometheus metrics, all of them but
// those every service has (kit/service) and the time per hop's histogram
// (kit/observe), which it registers here too.
type Metrics struct {
	Commands      *prometheus.CounterVec
	Rejections    *prometheus.CounterVec
	DeadLetters   prometheus.Counter
	Latency       prometheus.Histogram
	BatchDuration prometheus.Histogram
	BatchSize     prometheus.Histogram
	Stage         *prometheus.HistogramVec
	Hops          *prometheus.HistogramVec // bank_hop_seconds: handler_queued, handler_decided, handler_published
}

// NewMetrics registers the handler's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "command_handler_commands_total",
			Help: "Commands handled, by type and result (confirmed, failed, duplicate, redelivered).",
		}, []string{"type", "result"}),
		Rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "command_handler_rejections_total",
			Help: "Failed commands by type and reason.",
		}, []string{"type", "reason"}),
		DeadLetters: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "command_handler_dead_letters_total",
			Help: "Decodable records on the commands topic that are no valid command (bad key), sent to the dead-letter topic.",
		}),
		Latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "command_handler_command_latency_seconds",
			Help:    "From a command's Kafka timestamp until its events are acknowledged by Kafka.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14), // 1 ms .. 8 s
		}),
		BatchDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "command_handler_batch_duration_seconds",
			Help:    "Time to handle one batch: decide in the database and publish the events.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14), // 0.5 ms .. 4 s
		}),
		BatchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "command_handler_batch_size",
			Help:    "Records per batch.",
			Buckets: []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000},
		}),
	}
	m.Stage = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "command_handler_batch_stage_seconds",
		Help:    "Time per batch in each stage: decide (the database transaction) and publish (until Kafka acknowledged every event).",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	}, []string{"stage"})
	reg.MustRegister(m.Commands, m.Rejections, m.DeadLetters, m.Latency, m.BatchDuration, m.BatchSize, m.Stage)
	m.Hops = observe.NewHopHistogram(reg)
	return m
}

func (m *Metrics) observeBatch(size int, took time.Duration) {
	m.BatchSize.Observe(float64(size))
	m.BatchDuration.Observe(took.Seconds())
}

// ObserveLag registers command_handler_consumer_lag, read from lag at each
// scrape (-1 when it cannot be read).
func ObserveLag(reg prometheus.Registerer, lag func() (int64, error)) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "command_handler_consumer_lag",
		Help: "Records of the assigned commands partitions not yet read.",
	}, func() float64 {
		n, err := lag()
		if err != nil {
			return -1
		}
		return float64(n)
	}))
}
