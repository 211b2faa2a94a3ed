package commands

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"openbank/kit/metric/metrictest"
	"openbank/kit/observe"
	"openbank/messaging"
	"openbank/services/command-handler/internal/domain/ledger"
	"openbank/topology"
)

// TestEventsAnswerTheirCommandsTrace: with tracing on, each command of a
// batch that carries trace context gets a span continuing that trace, and its
// events carry that span's context, not the batch's; a command without gets
// no span and its events no trace context.
func TestEventsAnswerTheirCommandsTrace(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)))
	messaging.SetTracePropagator(propagation.TraceContext{})
	t.Cleanup(func() { messaging.SetTracePropagator(nil) })

	// Two commands from two gateway requests (two traces), one batch.
	var batch []messaging.Delivery
	var requests []trace.SpanContext
	for i := range 2 {
		ctx, req := otel.Tracer("gateway").Start(context.Background(), "money_transfer")
		requests = append(requests, req.SpanContext())
		batch = append(batch, messaging.Delivery{Topic: topology.TopicCommands, Offset: int64(i),
			Headers: messaging.TraceHeaders(ctx, []messaging.Header{messaging.CommandIDHeader("c")})})
		req.End()
	}
	// And one from the command generator, without trace context.
	batch = append(batch, messaging.Delivery{Topic: topology.TopicCommands, Offset: 2,
		Headers: []messaging.Header{messaging.CommandIDHeader("g")}})
	cmds := []command{
		{d: &batch[0], id: uuid.New(), kind: ledger.KindMoneyTransfer},
		{d: &batch[1], id: uuid.New(), kind: ledger.KindMoneyTransfer},
		{d: &batch[2], id: uuid.New(), kind: ledger.KindMoneyTransfer},
	}
	start := time.Now()
	span := startBatch(context.Background(), start, batch, cmds)
	answers := []answer{
		{cmd: cmds[0], outcome: ledger.Outcome{Kind: ledger.KindMoneyTransfer}, result: ResultConfirmed},
		{cmd: cmds[1], outcome: ledger.Outcome{Kind: ledger.KindMoneyTransfer, Reason: "invalid token"}, result: ResultFailed},
		{cmd: cmds[2], outcome: ledger.Outcome{Kind: ledger.KindMoneyTransfer}, result: ResultConfirmed},
	}
	var sent [][]messaging.Message
	for _, a := range answers {
		sent = append(sent, events(a))
	}
	endBatch(span, cmds, answers, start, time.Now(), nil)

	if cmds[2].span != nil {
		t.Error("a command without trace context got a span")
	}
	for _, m := range sent[2] {
		if len(m.Headers) != 1 {
			t.Errorf("event of an untraced command carries %q", m.Headers)
		}
	}
	for i, msgs := range sent[:2] {
		cmdSpan := cmds[i].span.SpanContext()
		for _, m := range msgs {
			got := trace.SpanContextFromContext(messaging.Delivery{Headers: m.Headers}.Context(context.Background()))
			if got.TraceID() != requests[i].TraceID() || got.SpanID() != cmdSpan.SpanID() {
				t.Errorf("command %d: event on %s carries %s/%s, want trace %s, span %s", i, m.Topic,
					got.TraceID(), got.SpanID(), requests[i].TraceID(), cmdSpan.SpanID())
			}
			if m.Headers[0].Key != topology.HeaderCommandID {
				t.Errorf("command-id header lost: %q", m.Headers)
			}
		}
	}
	ended := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range spans.Ended() {
		ended[s.SpanContext().SpanID().String()] = s
	}
	if len(spans.Ended()) != 2+1+2 { // two requests, the batch, two commands
		t.Errorf("%d spans ended, want 5", len(spans.Ended()))
	}
	for i, c := range cmds[:2] {
		s, ok := ended[c.span.SpanContext().SpanID().String()]
		if !ok {
			t.Fatalf("command %d: span not ended", i)
		}
		if s.Parent().SpanID() != requests[i].SpanID() || len(s.Links()) != 1 || s.Links()[0].SpanContext.SpanID() != span.SpanContext().SpanID() {
			t.Errorf("command %d: span %q parent %s links %v, want parent %s and a link to the batch", i, s.Name(),
				s.Parent().SpanID(), s.Links(), requests[i].SpanID())
		}
	}
}

// TestHopsPerCommand: every command of a batch counts once in each hop;
// a record without a timestamp is left out of the queued hop.
func TestHopsPerCommand(t *testing.T) {
	m := NewMetrics(nil)
	now := time.Now()
	batch := []messaging.Delivery{{Timestamp: now.Add(-3 * time.Millisecond)}, {Timestamp: now.Add(-1 * time.Millisecond)}, {}}
	m.observeHops(batch, 2, now, now.Add(4*time.Millisecond), now.Add(6*time.Millisecond))
	read := metrictest.Read(t, m.Set)
	for hop, want := range map[string]struct {
		count float64
		sum   float64
	}{
		observe.HopHandlerQueued:    {2, 0.004},
		observe.HopHandlerDecided:   {2, 0.008},
		observe.HopHandlerPublished: {2, 0.004},
	} {
		h := read.Histogram(observe.HopMetric, "hop", hop)
		if h.Count != want.count || math.Abs(h.Sum-want.sum) > 1e-9 {
			t.Errorf("%s: %g observations summing to %g s, want %g and %g s", hop, h.Count, h.Sum, want.count, want.sum)
		}
	}
}

// BenchmarkTracingOff is what tracing adds to a batch of 500 commands when
// it is off (no propagator installed): the records' trace context is not
// even looked for.
func BenchmarkTracingOff(b *testing.B) {
	messaging.SetTracePropagator(nil)
	batch := make([]messaging.Delivery, 500)
	cmds := make([]command, len(batch))
	answers := make([]answer, len(batch))
	for i := range batch {
		batch[i].Headers = []messaging.Header{messaging.CommandIDHeader("c")}
		cmds[i] = command{d: &batch[i], id: uuid.New(), kind: ledger.KindMoneyTransfer}
		answers[i] = answer{cmd: cmds[i]}
	}
	now := time.Now()
	for b.Loop() {
		span := startBatch(context.Background(), now, batch, cmds)
		for _, a := range answers {
			_ = traced(a.cmd, batch[0].Headers)
		}
		endBatch(span, cmds, answers, now, now, nil)
	}
}
