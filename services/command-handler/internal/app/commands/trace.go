package commands

import (
	"context"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"openbank/kit/observe"
	"openbank/messaging"
)

// Tracing and time per hop. Without observe.StartTracing the spans are
// OpenTelemetry's no-ops; the hop histogram is always kept.

var tracer = otel.Tracer("openbank/services/command-handler")

// startBatch starts, when some command of the batch carries trace context (a
// gateway's request), the batch's span and one span per such command that
// continues its trace and links to the batch. Commands without (the
// generator's) get no span, so tracing costs what is traced.
func startBatch(ctx context.Context, start time.Time, batch []messaging.Delivery, cmds []command) trace.Span {
	parents := make(map[int]context.Context)
	for i := range cmds {
		if p := cmds[i].d.Context(ctx); trace.SpanContextFromContext(p).IsRemote() {
			parents[i] = p
		}
	}
	if len(parents) == 0 {
		return noop.Span{}
	}
	_, span := tracer.Start(ctx, "handle commands", trace.WithNewRoot(), trace.WithTimestamp(start),
		trace.WithAttributes(attribute.Int("messaging.batch.message_count", len(batch)),
			attribute.Int("bank.traced_commands", len(parents))))
	link := trace.Link{SpanContext: span.SpanContext()}
	for i, parent := range parents {
		d := cmds[i].d
		_, cmds[i].span = tracer.Start(parent, "handle "+cmds[i].kind.String(),
			trace.WithSpanKind(trace.SpanKindConsumer), trace.WithTimestamp(start), trace.WithLinks(link),
			trace.WithAttributes(
				attribute.String("messaging.system", "kafka"),
				attribute.String("messaging.destination.name", d.Topic),
				attribute.Int("messaging.destination.partition.id", int(d.Partition)),
				attribute.Int64("messaging.kafka.offset", d.Offset),
				attribute.String("bank.command_id", uuid.UUID(cmds[i].id).String()),
			))
	}
	return span
}

// endBatch ends the spans: each traced command's with its result, or with err
// when the batch failed (it is offered again).
func endBatch(span trace.Span, cmds []command, answers []answer, decided, done time.Time, err error) {
	if !span.SpanContext().IsValid() {
		return // nothing traced
	}
	at := trace.WithTimestamp(done)
	if err != nil {
		for _, c := range cmds {
			if c.span != nil {
				c.span.SetStatus(codes.Error, err.Error())
				c.span.End(at)
			}
		}
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		span.End(at)
		return
	}
	for _, a := range answers {
		s := a.cmd.span
		if s == nil {
			continue
		}
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
func traced(c command, headers []messaging.Header) []messaging.Header {
	if c.span == nil {
		return headers
	}
	return messaging.TraceHeaders(trace.ContextWithSpan(context.Background(), c.span), headers)
}

// observeHops records each command's time in the handler's hops: queued in
// Kafka until this batch got it, deciding the batch, publishing its events.
func (m *Metrics) observeHops(batch []messaging.Delivery, answers int, start, decided, done time.Time) {
	queued := m.Hops.With(observe.HopHandlerQueued)
	for _, d := range batch {
		if !d.Timestamp.IsZero() {
			queued.Update(observe.Queued(d.Timestamp, start))
		}
	}
	decide := m.Hops.With(observe.HopHandlerDecided)
	publish := m.Hops.With(observe.HopHandlerPublished)
	for range answers {
		decide.Update(decided.Sub(start).Seconds())
		publish.Update(done.Sub(decided).Seconds())
	}
}
