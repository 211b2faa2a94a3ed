package observe

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"openbank/kit/env"
)

// testSpans are n spans named span0, span1, ….
func testSpans(n int) []sdktrace.ReadOnlySpan {
	stubs := make(tracetest.SpanStubs, n)
	for i := range stubs {
		stubs[i] = tracetest.SpanStub{Name: fmt.Sprintf("span%d", i),
			SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{byte(i + 1)}})}
	}
	return stubs.Snapshots()
}

// receive decodes one export, gunzipping it when it says so.
func receive(t *testing.T, r *http.Request) *collectortrace.ExportTraceServiceRequest {
	t.Helper()
	body := io.Reader(r.Body)
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			t.Errorf("gzip: %v", err)
			return nil
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Errorf("read: %v", err)
		return nil
	}
	var req collectortrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		t.Errorf("decode: %v", err)
		return nil
	}
	return &req
}

func spanNames(req *collectortrace.ExportTraceServiceRequest) (names []string) {
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				names = append(names, s.GetName())
			}
		}
	}
	return names
}

// testExporter exports to handler, retrying quickly, within timeout.
func testExporter(t *testing.T, handler http.HandlerFunc, timeout time.Duration) *exporter {
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	e := newExporter(exporterConfig{url: srv.URL + "/v1/traces", timeout: timeout}, slog.New(slog.DiscardHandler))
	e.firstTry = 10 * time.Millisecond
	t.Cleanup(func() { _ = e.Shutdown(context.Background()) })
	return e
}

func TestExportSendsHeadersAndGzip(t *testing.T) {
	var got []string
	e := testExporter(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
			t.Errorf("%s %s as %q", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		}
		if r.Header.Get("Authorization") != "Bearer t0ken" || r.Header.Get("X-Tenant") != "bank" {
			t.Errorf("headers %v", r.Header)
		}
		if r.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("Content-Encoding %q, want gzip", r.Header.Get("Content-Encoding"))
		}
		got = append(got, spanNames(receive(t, r))...)
	}, 5*time.Second)
	e.cfg.headers = map[string]string{"Authorization": "Bearer t0ken", "X-Tenant": "bank"}
	e.cfg.gzip = true
	if err := e.ExportSpans(context.Background(), testSpans(2)); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "span0,span1" {
		t.Errorf("received %v", got)
	}
}

func TestExportRetriesAfterWhat503Says(t *testing.T) {
	var tries []time.Time
	e := testExporter(t, func(w http.ResponseWriter, r *http.Request) {
		tries = append(tries, time.Now())
		if len(tries) == 1 {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		receive(t, r)
	}, 5*time.Second)
	if err := e.ExportSpans(context.Background(), testSpans(1)); err != nil {
		t.Fatal(err)
	}
	if len(tries) != 2 {
		t.Fatalf("%d tries, want 2", len(tries))
	}
	if wait := tries[1].Sub(tries[0]); wait < time.Second {
		t.Errorf("tried again after %s, want the 1 s Retry-After asked", wait)
	}
}

func TestExportGivesUpAt400(t *testing.T) {
	var tries atomic.Int32
	e := testExporter(t, func(w http.ResponseWriter, r *http.Request) {
		tries.Add(1)
		// A google.rpc.Status whose message (field 2) says why.
		status := protowire.AppendString(protowire.AppendTag(nil, 2, protowire.BytesType), "bad span")
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write(status)
	}, 5*time.Second)
	err := e.ExportSpans(context.Background(), testSpans(1))
	if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), `"bad span"`) {
		t.Errorf("error %v, want the 400 and its message", err)
	}
	if tries.Load() != 1 {
		t.Errorf("%d tries, want 1", tries.Load())
	}
}

// hang answers nothing until the client goes (the server notices once the
// body is read) or 10 s pass.
func hang(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

func TestExportStopsAtTheTimeout(t *testing.T) {
	for name, handler := range map[string]http.HandlerFunc{
		"hangs":         hang,
		"503 all along": func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) },
		"Retry-After 1 h": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(429)
		},
	} {
		t.Run(name, func(t *testing.T) {
			e := testExporter(t, handler, 300*time.Millisecond)
			start := time.Now()
			err := e.ExportSpans(context.Background(), testSpans(1))
			if err == nil || time.Since(start) > 2*time.Second {
				t.Errorf("error %v after %s, want one within the 300 ms timeout", err, time.Since(start))
			}
		})
	}
}

func TestExportSplitsWhatIsTooLarge(t *testing.T) {
	var mu sync.Mutex
	var requests [][]string
	e := testExporter(t, func(w http.ResponseWriter, r *http.Request) {
		names := spanNames(receive(t, r))
		mu.Lock()
		requests = append(requests, names)
		mu.Unlock()
	}, 5*time.Second)
	spans := testSpans(4)
	e.maxBody = len(appendTraceRequest(nil, spans[:2])) // two spans to a request
	if err := e.ExportSpans(context.Background(), spans); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(requests) != "[[span0 span1] [span2 span3]]" {
		t.Errorf("requests %v, want two of two spans", requests)
	}
	e.maxBody = 10 // no span fits
	if err := e.ExportSpans(context.Background(), spans[:1]); err == nil || !strings.Contains(err.Error(), `"span0" left out`) {
		t.Errorf("error %v, want the span left out named", err)
	}
}

func TestShutdownWaitsThenRefuses(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{})
	e := testExporter(t, func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
	}, 5*time.Second)
	exported := make(chan error, 1)
	go func() { exported <- e.ExportSpans(context.Background(), testSpans(1)) }()
	<-arrived
	shut := make(chan error, 1)
	go func() { shut <- e.Shutdown(context.Background()) }()
	select {
	case <-shut:
		t.Fatal("Shutdown returned with an export under way")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := <-exported; err != nil {
		t.Errorf("the export under way: %v", err)
	}
	if err := <-shut; err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if err := e.ExportSpans(context.Background(), testSpans(1)); !errors.Is(err, ErrExporterShutdown) {
		t.Errorf("export after shutdown: %v, want ErrExporterShutdown", err)
	}
}

func TestShutdownCutsShortWhenItsContextEnds(t *testing.T) {
	e := testExporter(t, hang, time.Minute)
	exported := make(chan error, 1)
	go func() { exported <- e.ExportSpans(context.Background(), testSpans(1)) }()
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := e.Shutdown(ctx); err == nil {
		t.Error("shutdown with an export hanging: no error")
	}
	select {
	case err := <-exported:
		if err == nil {
			t.Error("the export cut short: no error")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the export goes on after shutdown")
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for h, want := range map[string]time.Duration{
		"3": 3 * time.Second, " 0 ": 0, "Thu, 01 Jan 2026 12:00:30 GMT": 30 * time.Second, "Thu, 01 Jan 2026 11:00:00 GMT": 0,
	} {
		if got, ok := retryAfter(h, now); !ok || got != want {
			t.Errorf("Retry-After %q: %s %v, want %s", h, got, ok, want)
		}
	}
	for _, h := range []string{"", "-1", "soon"} {
		if _, ok := retryAfter(h, now); ok {
			t.Errorf("Retry-After %q read", h)
		}
	}
}

func TestReadExporterConfig(t *testing.T) {
	read := func(vars map[string]string) (exporterConfig, bool, error) {
		e := env.FromMap(vars)
		cfg, on := readExporterConfig(e)
		return cfg, on, e.Err()
	}
	if cfg, on, err := read(nil); on || err != nil || cfg.timeout != 10*time.Second || cfg.gzip || cfg.headers != nil {
		t.Errorf("unset: %+v on=%v %v, want off with the defaults", cfg, on, err)
	}
	for vars, want := range map[*map[string]string]string{
		{EnvEndpoint: "http://collector:4318"}:                                         "http://collector:4318/v1/traces",
		{EnvEndpoint: "https://collector/otel/"}:                                       "https://collector/otel/v1/traces",
		{EnvEndpoint: "http://a:4318", EnvTracesEndpoint: "http://b:4318/spans"}:       "http://b:4318/spans",
		{EnvTracesEndpoint: "http://b:4318"}:                                           "http://b:4318",
		{EnvEndpoint: "http://a:4318", "OTEL_SDK_DISABLED": "true"}:                    "",
		{EnvEndpoint: "http://a:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}: "http://a:4318/v1/traces",
	} {
		cfg, on, err := read(*vars)
		if err != nil || cfg.url != want || on != (want != "") {
			t.Errorf("%v: url %q on=%v %v, want %q", *vars, cfg.url, on, err, want)
		}
	}
	cfg, _, err := read(map[string]string{EnvEndpoint: "http://a:4318",
		"OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Bearer%20x, X-A = 1,", "OTEL_EXPORTER_OTLP_TIMEOUT": "2500",
		"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip"})
	if err != nil || cfg.headers["Authorization"] != "Bearer x" || cfg.headers["X-A"] != "1" || len(cfg.headers) != 2 ||
		cfg.timeout != 2500*time.Millisecond || !cfg.gzip {
		t.Errorf("general settings: %+v %v", cfg, err)
	}
	cfg, _, err = read(map[string]string{EnvEndpoint: "http://a:4318",
		"OTEL_EXPORTER_OTLP_HEADERS": "A=1", "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "B=2",
		"OTEL_EXPORTER_OTLP_TIMEOUT": "2500", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "700",
		"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip", "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "none"})
	if err != nil || cfg.headers["B"] != "2" || len(cfg.headers) != 1 || cfg.timeout != 700*time.Millisecond || cfg.gzip {
		t.Errorf("the traces settings should win: %+v %v", cfg, err)
	}
	bad := map[string]string{EnvEndpoint: "localhost:4318", EnvTracesEndpoint: "ftp://x",
		"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_HEADERS": "no pair,Secret=s3cr3t",
		"OTEL_EXPORTER_OTLP_TIMEOUT": "10s", "OTEL_EXPORTER_OTLP_COMPRESSION": "zstd", "OTEL_SDK_DISABLED": "maybe"}
	_, _, err = read(bad)
	for name := range bad {
		if err == nil || !strings.Contains(err.Error(), name+"=") {
			t.Errorf("error %v does not name %s", err, name)
		}
	}
	if err != nil && strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error %v shows a header's value", err)
	}
}
