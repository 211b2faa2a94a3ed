package gateway

import (
	"context"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"openbank/kit/metric"
	"openbank/kit/observe"
	"openbank/messaging"
	"openbank/topology"
)

// Tracing and time per hop. Without observe.StartTracing the spans are
// OpenTelemetry's no-ops; the hop histogram is always kept.

var tracer = otel.Tracer("openbank/services/graphql-endpoint")

// startCommand starts the span of a request that sends a command; the
// command carries its context to the command handler.
func startCommand(ctx context.Context, name, commandID string) (context.Context, trace.Span) {
	return tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("bank.command_id", commandID)))
}

// acknowledged records the gateway_command_acknowledged hop of a command the
// gateway took up at begun.
func acknowledged(hops *metric.Histograms[string], span trace.Span, begun time.Time) {
	hops.With(observe.HopGatewayCommandAcknowledged).UpdateDuration(begun)
	span.AddEvent("command acknowledged")
}

// endCommand ends a request's span with its answer.
func endCommand(span trace.Span, success bool, reason string, err error) {
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	} else {
		span.SetAttributes(attribute.Bool("bank.success", success))
		if reason != "" {
			span.SetAttributes(attribute.String("bank.reason", reason))
		}
	}
	span.End()
}

// consumed is a batch of events (feedback or BalanceChanged) in the
// gateway's hops: queued in Kafka, stored, pushed. Records older than since
// (history read on a first start) are left out.
type consumed struct {
	hops        *metric.Histograms[string]
	got, stored time.Time
	n           int
	spans       []trace.Span
}

// consume starts the hops of batch and, with tracing on, a span per record
// that carries trace context (the command handler's answer to a traced
// request), continuing that trace.
func consume(ctx context.Context, hops *metric.Histograms[string], name string, batch []messaging.Delivery, since time.Time) *consumed {
	c := &consumed{hops: hops, got: time.Now()}
	queued := hops.With(observe.HopGatewayEventQueued)
	for _, d := range batch {
		if d.Timestamp.Before(since) {
			continue
		}
		c.n++
		queued.Update(observe.Queued(d.Timestamp, c.got))
		parent := d.Context(ctx)
		if !trace.SpanContextFromContext(parent).IsRemote() {
			continue // not traced (the command generator's), or tracing is off
		}
		_, span := tracer.Start(parent, name, trace.WithSpanKind(trace.SpanKindConsumer), trace.WithTimestamp(c.got))
		span.SetAttributes(
			attribute.String("messaging.system", "kafka"),
			attribute.String("messaging.destination.name", d.Topic),
			attribute.Int("messaging.destination.partition.id", int(d.Partition)),
			attribute.Int64("messaging.kafka.offset", d.Offset),
			attribute.String("bank.command_id", d.Header(topology.HeaderCommandID)),
		)
		c.spans = append(c.spans, span)
	}
	return c
}

// storedNow marks the batch stored in transactiondb.
func (c *consumed) storedNow() {
	c.stored = time.Now()
	stored := c.hops.With(observe.HopGatewayEventStored)
	for range c.n {
		stored.Update(c.stored.Sub(c.got).Seconds())
	}
	for _, s := range c.spans {
		s.AddEvent("stored", trace.WithTimestamp(c.stored))
	}
}

// end closes the batch: pushed to the subscribers or waiting requests, or
// failed with err (it is offered again).
func (c *consumed) end(err error) {
	if err == nil && !c.stored.IsZero() {
		pushed := c.hops.With(observe.HopGatewayEventPushed)
		took := time.Since(c.stored).Seconds()
		for range c.n {
			pushed.Update(took)
		}
	}
	for _, s := range c.spans {
		if err != nil {
			s.SetStatus(codes.Error, err.Error())
		}
		s.End()
	}
}
