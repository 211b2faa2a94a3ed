// Package metrics holds the gateway's Prometheus metrics (served at /metrics).
package metrics

import (
	"openbank/kit/metric"
	"openbank/kit/observe"
)

// Metrics are the gateway's own series, registered on the service's set.
type Metrics struct {
	// Set is what they are registered on (the service's, or their own).
	Set *metric.Set
	// SubscriptionsOpen counts running GraphQL subscriptions by field.
	SubscriptionsOpen *metric.Gauges[string]
	// EventsFannedOut counts transactions handed to stream subscribers.
	EventsFannedOut *metric.Counter
	// SubscribersDropped counts stream subscribers ended because they read too slowly.
	SubscribersDropped *metric.Counter
	// TransactionsStored counts BalanceChanged records written to transactiondb by this instance.
	TransactionsStored *metric.Counter
	// TransactionsOffered counts BalanceChanged records this instance tried to
	// insert; against TransactionsStored it shows how much was a repeat.
	TransactionsOffered *metric.Counter
	// StoreBatch is how long storing one batch of BalanceChanged records takes.
	StoreBatch *metric.Histogram
	// StreamLag is how old a record is (from its Kafka timestamp) when its
	// row is handed to the stream subscribers: Kafka, consuming, storing (by
	// any instance) and reading it back, before any WebSocket work.
	StreamLag *metric.Histogram
	// FeedbackWait is how long a request waited for the command handler's
	// answer, by command and outcome.
	FeedbackWait *metric.Histograms[[2]string]
	// Hops is the bank's time per hop; the gateway's hops are
	// gateway_command_acknowledged and gateway_event_queued/stored/pushed.
	Hops *metric.Histograms[string]
}

// New returns the metrics registered on set; a nil set gives them a set of
// their own, served nowhere (tests, and parts built without a service around them).
func New(set *metric.Set) *Metrics {
	if set == nil {
		set = metric.NewSet()
	}
	return &Metrics{
		Set:               set,
		SubscriptionsOpen: metric.NewGauges[string](set, "graphql_subscriptions_open", "GraphQL subscriptions running now, by field.", "field"),
		EventsFannedOut: metric.NewCounter(set, "graphql_events_fanned_out_total",
			"Transactions delivered to stream_transactions subscribers (one per subscriber)."),
		SubscribersDropped: metric.NewCounter(set, "graphql_stream_subscribers_dropped_total",
			"stream_transactions subscriptions ended because the client fell too far behind."),
		TransactionsStored: metric.NewCounter(set, "graphql_transactions_stored_total",
			"Transactions inserted by this instance (redeliveries and rows another instance wrote excluded)."),
		TransactionsOffered: metric.NewCounter(set, "graphql_transactions_insert_attempts_total",
			"BalanceChanged records this instance offered to transactiondb (stored or found there already)."),
		StoreBatch: metric.NewHistogram(set, "graphql_transactions_store_batch_seconds",
			"Time to store one batch of BalanceChanged records in transactiondb.",
			metric.ExponentialBuckets(0.0005, 2, 14)), // 0.5 ms .. ~4 s
		StreamLag: metric.NewHistogram(set, "graphql_stream_lag_seconds",
			"Age of a BalanceChanged record (from its Kafka timestamp) when this instance fans its row out.",
			[]float64{.002, .005, .01, .015, .02, .03, .05, .075, .1, .15, .25, .5, 1, 2.5, 5, 10}),
		FeedbackWait: metric.NewHistograms[[2]string](set, "graphql_feedback_wait_seconds",
			"Time from sending a command to receiving its feedback, by command and outcome.",
			metric.ExponentialBuckets(0.005, 2, 12), "command", "outcome"), // 5 ms .. ~10 s
		Hops: observe.NewHopHistogram(set),
	}
}
