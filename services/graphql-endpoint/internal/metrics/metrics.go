// Package metrics holds the gateway's Prometheus metrics (served at /metrics).
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"openbank/kit/observe"
)

// Metrics are the gateway's own series, registered on the service's registry.
type Metrics struct {
	// SubscriptionsOpen counts running GraphQL subscriptions by field.
	SubscriptionsOpen *prometheus.GaugeVec
	// EventsFannedOut counts transactions handed to stream subscribers.
	EventsFannedOut prometheus.Counter
	// SubscribersDropped counts stream subscribers ended because they read too slowly.
	SubscribersDropped prometheus.Counter
	// TransactionsStored counts BalanceChanged records written to transactiondb by this instance.
	TransactionsStored prometheus.Counter
	// TransactionsOffered counts BalanceChanged records this instance tried to
	// insert; against TransactionsStored it shows how much was a repeat.
	TransactionsOffered prometheus.Counter
	// StoreBatch is how long storing one batch of BalanceChanged records takes.
	StoreBatch prometheus.Histogram
	// StreamLag is how old a record is (from its Kafka timestamp) when its
	// row is handed to the stream subscribers: Kafka, consuming, storing (by
	// any instance) and reading it back, before any WebSocket work.
	StreamLag prometheus.Histogram
	// FeedbackWait is how long a request waited for the command handler's answer.
	FeedbackWait *prometheus.HistogramVec
	// Hops is the bank's time per hop; the gateway's hops are
	// gateway_command_acknowledged and gateway_event_queued/stored/pushed.
	Hops *prometheus.HistogramVec
}

// New returns the metrics registered on reg; nil reg registers them nowhere
// (tests, and parts built without a service around them).
func New(reg prometheus.Registerer) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &Metrics{
		SubscriptionsOpen: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "graphql_subscriptions_open",
			Help: "GraphQL subscriptions running now, by field.",
		}, []string{"field"}),
		EventsFannedOut: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "graphql_events_fanned_out_total",
			Help: "Transactions delivered to stream_transactions subscribers (one per subscriber).",
		}),
		SubscribersDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "graphql_stream_subscribers_dropped_total",
			Help: "stream_transactions subscriptions ended because the client fell too far behind.",
		}),
		TransactionsStored: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "graphql_transactions_stored_total",
			Help: "Transactions inserted by this instance (redeliveries and rows another instance wrote excluded).",
		}),
		TransactionsOffered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "graphql_transactions_insert_attempts_total",
			Help: "BalanceChanged records this instance offered to transactiondb (stored or found there already).",
		}),
		StoreBatch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "graphql_transactions_store_batch_seconds",
			Help:    "Time to store one batch of BalanceChanged records in transactiondb.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14), // 0.5 ms .. ~4 s
		}),
		StreamLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "graphql_stream_lag_seconds",
			Help:    "Age of a BalanceChanged record (from its Kafka timestamp) when this instance fans its row out.",
			Buckets: []float64{.002, .005, .01, .015, .02, .03, .05, .075, .1, .15, .25, .5, 1, 2.5, 5, 10},
		}),
		FeedbackWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "graphql_feedback_wait_seconds",
			Help:    "Time from sending a command to receiving its feedback, by command and outcome.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12), // 5 ms .. ~10 s
		}, []string{"command", "outcome"}),
		Hops: observe.NewHopHistogram(reg),
	}
	reg.MustRegister(m.SubscriptionsOpen, m.EventsFannedOut, m.SubscribersDropped, m.TransactionsStored, m.TransactionsOffered,
		m.StoreBatch, m.StreamLag, m.FeedbackWait)
	return m
}
