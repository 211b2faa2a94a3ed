package handler

import (
	"context"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"openbank/topology"
	"openbank/topology/observe"
)

// Tracing and time per hop. Without observe.StartTracing the spans are
// OpenTelemetry's no-ops; the hop histogram is always kept.

var tracer = otel.Tracer("openbank/services/command-handler")

// startBatch starts the batch's span, and one span per command that continues
// the trace its record carries (the gateway's request) and links to the batch.
func startBatch(ctx context.Context, start time.Time, batch []topology.Delivery, cmds []command) (context.Context, trace.Span) {
	ctx, span := tracer.Start(ctx, "handle commands", trace.WithTimestamp(start),
		trace.WithAttributes(attribute.Int("messaging.batch.message_count", len(batch))))
	if !span.SpanContext().IsValid() {
		return ctx, span // tracing is off
	}
	link := trace.Link{SpanContext: span.SpanContext()}
	for i := range cmds {
		d := cmds[i].d
		_, cmds[i].span = tracer.Start(d.Context(ctx), "handle "+cmds[i].kind.String(),
			trace.WithSpanKind(trace.SpanKindConsumer), trace.WithTimestamp(start), trace.WithLinks(link),
			trace.WithAttributes(
				attribute.String("messaging.system", "kafka"),
				attribute.String("messaging.destination.name", d.Topic),
				attribute.Int("messaging.destination.partition.id", int(d.Partition)),
				attribute.Int64("messaging.kafka.offset", d.Offset),
				attribute.String("bank.command_id", uuid.UUID(cmds[i].id).String()),
			))
	}
	return ctx, span
}

// endBatch ends the spans: each command's with its result, or every one with
// err when the batch failed (it is offered again).
func endBatch(span trace.Span, cmds []command, answers []answer, decided, done time.Time, err error) {
	if !span.SpanContext().IsValid() {
		return // tracing is off
	}
	at := trace.WithTimestamp(done)
	if err != nil {
		for _, c := range cmds {
			c.span.SetStatus(codes.Error, err.Error())
			c.span.End(at)
		}
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		span.End(at)
		return
	}
	for _, a := range answers {
		s := a.cmd.span
		s.AddEvent("decided", trace.WithTimestamp(decided))
		s.SetAttributes(attribute.String("bank.result", a.result))
		if a.outcome.Reason != "" {
			s.SetAttributes(attribute.String("bank.reason", a.outcome.Reason))
		}
		s.End(at)
	}
	span.End(at)
}

// traced returns headers with the trace context of c's span, so the events
// answering c continue its command's trace.
func traced(c command, headers []topology.Header) []topology.Header {
	if c.span == nil {
		return headers
	}
	return topology.TraceHeaders(trace.ContextWithSpan(context.Background(), c.span), headers)
}

// observeHops records each command's time in the handler's hops: queued in
// Kafka until this batch got it, deciding the batch, publishing its events.
func (m *Metrics) observeHops(batch []topology.Delivery, answers int, start, decided, done time.Time) {
	queued := m.Hops.WithLabelValues(observe.HopHandlerQueued)
	for _, d := range batch {
		if !d.Timestamp.IsZero() {
			queued.Observe(start.Sub(d.Timestamp).Seconds())
		}
	}
	decide := m.Hops.WithLabelValues(observe.HopHandlerDecided)
	publish := m.Hops.WithLabelValues(observe.HopHandlerPublished)
	for range answers {
		decide.Observe(decided.Sub(start).Seconds())
		publish.Observe(done.Sub(decided).Seconds())
	}
}
