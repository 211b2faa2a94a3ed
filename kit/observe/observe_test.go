package observe_test

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"

	"openbank/kit/metric"
	"openbank/kit/observe"
	"openbank/kit/observe/observetest"
	"openbank/kit/scrape"
	"openbank/messaging"
)

func TestQueuedFromTheMiddleOfTheTimestampsMillisecond(t *testing.T) {
	sent := time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC).Add(7 * time.Millisecond) // a Kafka timestamp: whole ms
	for _, c := range []struct {
		name      string
		timestamp time.Time
		got       time.Time
		want      float64
	}{
		{"a whole-millisecond timestamp starts half a millisecond in", sent, sent.Add(2 * time.Millisecond), 0.0015},
		{"a precise timestamp is taken as it is", sent.Add(300 * time.Microsecond), sent.Add(2 * time.Millisecond), 0.0017},
		{"never below zero", sent, sent.Add(200 * time.Microsecond), 0},
	} {
		if got := observe.Queued(c.timestamp, c.got); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("%s: %v s, want %v", c.name, got, c.want)
		}
	}
	// Sent at a random point of their millisecond, the mean is the true one.
	var sum float64
	for i := range 1000 {
		at := sent.Add(time.Duration(i) * time.Microsecond)
		sum += observe.Queued(at.Truncate(time.Millisecond), at.Add(time.Millisecond))
	}
	if mean := sum / 1000; math.Abs(mean-0.001) > 1e-6 {
		t.Errorf("mean of hops of 1 ms sent across a millisecond: %v s", mean)
	}
}

func TestHopHistogram(t *testing.T) {
	set := metric.NewSet()
	hops := observe.NewHopHistogram(set)
	hops.With(observe.HopHandlerDecided).Update(0.0003)
	var b bytes.Buffer
	if err := metric.Write(&b, set); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "# TYPE bank_hop_seconds histogram\n") {
		t.Fatalf("no histogram bank_hop_seconds in\n%s", b.String())
	}
	m, err := scrape.Parse(&b)
	if err != nil {
		t.Fatal(err)
	}
	if l := m.Labels("bank_hop_seconds"); len(l) != 1 || len(l[0]) != 1 || l[0]["hop"] != "handler_decided" {
		t.Errorf("labels %v", l)
	}
	// 26 bounds and +Inf, as the text format writes a classic histogram.
	if h := m.Histogram("bank_hop_seconds", "hop", "handler_decided"); h.Count != 1 || len(h.Buckets) != 27 {
		t.Errorf("%g samples in %d buckets", h.Count, len(h.Buckets))
	}
	if b := observe.HopBuckets; b[0] != 0.0001 || b[len(b)-1] < 9.99 || b[len(b)-1] > 10.01 {
		t.Errorf("buckets from %g to %g, want 0.1 ms to 10 s", b[0], b[len(b)-1])
	}
}

func TestTracingOffWithoutEndpoint(t *testing.T) {
	t.Setenv(observe.EnvEndpoint, "")
	t.Setenv(observe.EnvTracesEndpoint, "")
	provider, propagator := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	shutdown, err := observe.StartTracing(context.Background(), "test", slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if otel.GetTracerProvider() != provider || otel.GetTextMapPropagator() != propagator {
		t.Error("StartTracing installed something without an endpoint")
	}
}

func TestBadEndpoint(t *testing.T) {
	for _, bad := range []string{"localhost:4318", "ftp://x:1", "http://"} {
		t.Setenv(observe.EnvEndpoint, bad)
		_, err := observe.StartTracing(context.Background(), "test", slog.Default())
		if err == nil || !strings.Contains(err.Error(), observe.EnvEndpoint) {
			t.Errorf("%q: error %v, want one naming %s", bad, err, observe.EnvEndpoint)
		}
	}
}

// TestExport: spans reach an OTLP receiver, and trace context written into
// headers by the producer side is read back on the consumer side.
func TestExport(t *testing.T) {
	recv := observetest.NewReceiver(t)
	t.Setenv(observe.EnvEndpoint, recv.URL)
	shutdown, err := observe.StartTracing(context.Background(), "bank-test", slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { messaging.SetTracePropagator(nil) })
	tracer := otel.Tracer("test")

	ctx, send := tracer.Start(context.Background(), "send command")
	headers := messaging.TraceHeaders(ctx, []messaging.Header{messaging.CommandIDHeader("c1")})
	send.End()
	d := messaging.Delivery{Headers: headers}
	_, handle := tracer.Start(d.Context(context.Background()), "handle command")
	handle.End()

	flush, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := shutdown(flush); err != nil {
		t.Fatal(err)
	}
	spans := recv.Spans()
	if len(spans) != 2 {
		t.Fatalf("received %d spans, want 2: %+v", len(spans), spans)
	}
	byName := map[string]observetest.Span{}
	for _, s := range spans {
		byName[s.Name] = s
		if s.Service != "bank-test" {
			t.Errorf("span %q of service %q", s.Name, s.Service)
		}
	}
	sent, handled := byName["send command"], byName["handle command"]
	if sent.TraceID == "" || handled.TraceID != sent.TraceID || handled.ParentID != sent.SpanID {
		t.Errorf("handle command (trace %s, parent %s) does not continue send command (trace %s, span %s)",
			handled.TraceID, handled.ParentID, sent.TraceID, sent.SpanID)
	}
}
