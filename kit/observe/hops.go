// Package observe is the bank's one naming scheme for time per hop
// (bank_hop_seconds) and its switch for OpenTelemetry tracing.
package observe

import (
	"time"

	"openbank/kit/metric"
)

// HopMetric is the histogram of time per hop that the load test scrapes.
const HopMetric = "bank_hop_seconds"

// Hops, the values of the histogram's "hop" label: one command from the
// gateway through the command handler and back, each measured by the service
// it passes. A queued hop starts at the Kafka record's timestamp (Queued).
const (
	// HopGatewayCommandAcknowledged: the gateway takes up a request's command
	// (a transfer: claiming its id; an opening: once the password is hashed)
	// until Kafka acknowledged the command.
	HopGatewayCommandAcknowledged = "gateway_command_acknowledged"
	// HopHandlerQueued: a command's record timestamp until the handler got it.
	HopHandlerQueued = "handler_queued"
	// HopHandlerDecided: got until its batch is decided and committed in balancedb.
	HopHandlerDecided = "handler_decided"
	// HopHandlerPublished: decided until Kafka acknowledged every event of the batch.
	HopHandlerPublished = "handler_published"
	// HopGatewayEventQueued: an event's (feedback, BalanceChanged) record
	// timestamp until the gateway got it.
	HopGatewayEventQueued = "gateway_event_queued"
	// HopGatewayEventStored: got until stored in transactiondb.
	HopGatewayEventStored = "gateway_event_stored"
	// HopGatewayEventPushed: stored until handed to the stream subscribers (a
	// transaction) or to the waiting request (feedback).
	HopGatewayEventPushed = "gateway_event_pushed"
)

// Hops lists the hops in the order a command passes them.
var Hops = []string{HopGatewayCommandAcknowledged, HopHandlerQueued, HopHandlerDecided, HopHandlerPublished,
	HopGatewayEventQueued, HopGatewayEventStored, HopGatewayEventPushed}

// Queued is the time in seconds from when a record was sent, by its Kafka
// timestamp, until got. Kafka keeps a timestamp in whole milliseconds, so the
// record left somewhere in the millisecond it names: the time is taken from
// that millisecond's middle, which keeps the mean right (from its start, a
// queued hop was 0.5 ms too long on average). A hop is never below zero.
func Queued(timestamp, got time.Time) float64 {
	if timestamp.Nanosecond()%int(time.Millisecond) == 0 {
		timestamp = timestamp.Add(time.Millisecond / 2)
	}
	return max(got.Sub(timestamp).Seconds(), 0)
}

// HopBuckets span 0.1 ms to 10 s, five to a decade.
var HopBuckets = metric.ExponentialBucketsRange(0.0001, 10, 26)

// NewHopHistogram registers bank_hop_seconds, by hop, on set.
func NewHopHistogram(set *metric.Set) *metric.Histograms[string] {
	return metric.NewHistograms[string](set, HopMetric,
		"Time a command or event spent in one hop between services, by hop (see openbank/topology/observe).",
		HopBuckets, "hop")
}
