package messaging

import (
	"context"
	"testing"

	"openbank/topology"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// The tests use the W3C propagator explicitly and install none: the exported
// functions are checked in the state of a service without tracing, where
// they must do nothing.

var w3c = &headerPropagator{prop: propagation.TraceContext{}, fields: propagation.TraceContext{}.Fields()}

func spanContext(t testing.TB, traceHex, spanHex string) context.Context {
	t.Helper()
	tid, err := trace.TraceIDFromHex(traceHex)
	if err != nil {
		t.Fatal(err)
	}
	sid, err := trace.SpanIDFromHex(spanHex)
	if err != nil {
		t.Fatal(err)
	}
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled})
	return trace.ContextWithSpanContext(context.Background(), sc)
}

func TestHeaderCarrier(t *testing.T) {
	hs := []Header{CommandIDHeader("c1"), {Key: "traceparent", Value: []byte("old")}}
	c := HeaderCarrier{&hs}
	if got := c.Get(topology.HeaderCommandID); got != "c1" {
		t.Errorf("Get(command-id) = %q", got)
	}
	if got := c.Get("tracestate"); got != "" {
		t.Errorf("Get(missing) = %q", got)
	}
	c.Set("traceparent", "new")
	c.Set("tracestate", "a=b")
	if len(hs) != 3 || string(hs[1].Value) != "new" || hs[2].Key != "tracestate" || string(hs[2].Value) != "a=b" {
		t.Errorf("after Set: %q", hs)
	}
	if keys := c.Keys(); len(keys) != 3 || keys[0] != topology.HeaderCommandID || keys[1] != "traceparent" || keys[2] != "tracestate" {
		t.Errorf("Keys() = %q", keys)
	}
}

func TestTraceRoundTrip(t *testing.T) {
	ctx := spanContext(t, "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331")
	// A shared slice with spare room, as a batch's events share their headers:
	// injecting must not write into it.
	shared := make([]Header, 1, 4)
	shared[0] = CommandIDHeader("c1")
	out := w3c.withTrace(ctx, shared)
	want := "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	if got := headerValue(out, "traceparent"); got != want {
		t.Fatalf("traceparent = %q, want %q (headers %q)", got, want, out)
	}
	if headerValue(out, topology.HeaderCommandID) != "c1" || len(shared) != 1 || shared[:2][1].Key != "" {
		t.Errorf("headers %q, shared slice %q", out, shared[:2])
	}

	back := w3c.extract(context.Background(), out)
	sc := trace.SpanContextFromContext(back)
	if !sc.IsRemote() || sc.TraceID().String() != "0af7651916cd43dd8448eb211c80319c" || sc.SpanID().String() != "b7ad6b7169203331" {
		t.Errorf("extracted %v", sc)
	}
}

func TestOwnTraceContextWins(t *testing.T) {
	command := spanContext(t, "11111111111111111111111111111111", "2222222222222222")
	batch := spanContext(t, "33333333333333333333333333333333", "4444444444444444")
	event := w3c.inject(command, []Header{CommandIDHeader("c1")})
	sent := w3c.withTrace(batch, event)
	if got := headerValue(sent, "traceparent"); got != "00-11111111111111111111111111111111-2222222222222222-01" {
		t.Errorf("traceparent = %q: the command's must stay", got)
	}
}

func TestNothingToCarry(t *testing.T) {
	hs := []Header{CommandIDHeader("c1")}
	if out := w3c.withTrace(context.Background(), hs); &out[0] != &hs[0] || len(out) != 1 {
		t.Errorf("without a span the headers must be left as they are: %q", out)
	}
	ctx := context.Background()
	if got := w3c.extract(ctx, hs); got != ctx {
		t.Error("without trace headers the context must be left as it is")
	}
}

// TestOffByDefault: without SetTracePropagator nothing is carried, even for
// a span and a record that has trace context.
func TestOffByDefault(t *testing.T) {
	if installed.Load() != nil {
		t.Fatal("a propagator is installed before SetTracePropagator")
	}
	ctx := spanContext(t, "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331")
	hs := []Header{CommandIDHeader("c1")}
	if out := installed.Load().withTrace(ctx, hs); len(out) != 1 {
		t.Errorf("headers %q", out)
	}
	if out := TraceHeaders(ctx, hs); len(out) != 1 {
		t.Errorf("headers %q", out)
	}
	d := Delivery{Headers: w3c.inject(ctx, hs)}
	bg := context.Background()
	if got := d.Context(bg); got != bg {
		t.Error("Delivery.Context extracted without a propagator")
	}
}

// What SendAsync adds per message, and Delivery.Context per record, with
// tracing off (the default) and on. Off must cost nothing measurable.
func BenchmarkTraceHeaders(b *testing.B) {
	hs := []Header{CommandIDHeader("6f1c2a9e-8a61-4d4b-9b1e-2f3c4d5e6f70")}
	span := spanContext(b, "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331")
	traced := w3c.inject(span, hs)
	var off *headerPropagator // as installed by default
	b.Run("inject/off", func(b *testing.B) {
		ctx := context.Background()
		for b.Loop() {
			_ = off.withTrace(ctx, hs)
		}
	})
	b.Run("inject/off-with-span", func(b *testing.B) {
		for b.Loop() {
			_ = off.withTrace(span, hs)
		}
	})
	b.Run("inject/on", func(b *testing.B) {
		for b.Loop() {
			_ = w3c.withTrace(span, hs)
		}
	})
	b.Run("extract/off", func(b *testing.B) {
		ctx := context.Background()
		for b.Loop() {
			_ = off.extract(ctx, traced)
		}
	})
	b.Run("extract/on", func(b *testing.B) {
		ctx := context.Background()
		for b.Loop() {
			_ = w3c.extract(ctx, traced)
		}
	})
}

func TestSetTracePropagator(t *testing.T) {
	t.Cleanup(func() { SetTracePropagator(nil) })
	SetTracePropagator(propagation.TraceContext{})
	ctx := spanContext(t, "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331")
	out := TraceHeaders(ctx, []Header{CommandIDHeader("c1")})
	d := Delivery{Headers: out}
	if sc := trace.SpanContextFromContext(d.Context(context.Background())); sc.TraceID() != trace.SpanContextFromContext(ctx).TraceID() {
		t.Errorf("round trip through the installed propagator: %v", sc)
	}
	SetTracePropagator(nil)
	if installed.Load() != nil {
		t.Error("SetTracePropagator(nil) left a propagator installed")
	}
}
