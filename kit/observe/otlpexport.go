package observe

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/protobuf/encoding/protowire"

	"openbank/kit/retry"
)

// The exporter's bounds: a request the receivers take (4 MiB is the
// collector's gRPC limit, the lowest in common use), and how much of a
// response is read, enough for any status message.
const (
	maxRequestBytes  = 4 << 20
	maxResponseBytes = 64 << 10
)

// ErrExporterShutdown is what ExportSpans returns once Shutdown has begun.
var ErrExporterShutdown = errors.New("OTLP exporter shut down")

// exporter POSTs spans as an OTLP ExportTraceServiceRequest in protobuf
// (otlpwire.go) to cfg.url: an sdktrace.SpanExporter that links neither gRPC
// nor the protobuf runtime, unlike the OpenTelemetry project's exporters.
type exporter struct {
	cfg      exporterConfig
	client   *http.Client
	log      *slog.Logger
	maxBody  int           // maxRequestBytes; smaller in tests
	firstTry time.Duration // the first wait between tries without a Retry-After

	mu       sync.Mutex
	stopped  bool
	running  sync.WaitGroup // exports under way
	stopping context.Context
	abort    context.CancelFunc // ends exports under way when Shutdown's context does
}

var _ sdktrace.SpanExporter = (*exporter)(nil)

func newExporter(cfg exporterConfig, log *slog.Logger) *exporter {
	transport := http.DefaultTransport.(*http.Transport).Clone() // proxies from the environment, as the SDK's exporter
	stopping, abort := context.WithCancel(context.Background())
	return &exporter{cfg: cfg, client: &http.Client{Transport: transport}, log: log, maxBody: maxRequestBytes,
		firstTry: 500 * time.Millisecond, stopping: stopping, abort: abort}
}

// ExportSpans sends spans in as few requests as fit maxBody, each retried
// within the configured timeout on 429, 502, 503, 504 and a failed
// connection; a span too large for any request is left out and reported.
func (e *exporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if len(spans) == 0 {
		return nil
	}
	e.mu.Lock()
	if e.stopped {
		e.mu.Unlock()
		return ErrExporterShutdown
	}
	e.running.Add(1)
	e.mu.Unlock()
	defer e.running.Done()

	ctx, cancel := context.WithTimeout(ctx, e.cfg.timeout)
	defer cancel()
	defer context.AfterFunc(e.stopping, cancel)()
	bodies, tooLarge := encodeRequests(spans, e.maxBody)
	for _, body := range bodies {
		if err := e.send(ctx, body); err != nil {
			return fmt.Errorf("export %d spans to %s: %w", len(spans), e.cfg.url, err)
		}
	}
	if tooLarge != nil {
		return fmt.Errorf("export spans to %s: %w", e.cfg.url, tooLarge)
	}
	return nil
}

// Shutdown refuses further exports and waits for those under way (the
// provider has flushed its queue through them already); when ctx ends
// first, it cuts them short.
func (e *exporter) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	e.stopped = true
	e.mu.Unlock()
	done := make(chan struct{})
	go func() { e.running.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		e.abort()
		<-done
		err = fmt.Errorf("OTLP exporter shutdown: exports cut short: %w", context.Cause(ctx))
	}
	e.abort()
	e.client.CloseIdleConnections()
	return err
}

// encodeRequests encodes spans into requests of at most limit bytes,
// halving a batch until it fits; spans that fit no request are reported.
func encodeRequests(spans []sdktrace.ReadOnlySpan, limit int) (bodies [][]byte, tooLarge error) {
	body := appendTraceRequest(nil, spans)
	switch {
	case len(body) <= limit:
		return [][]byte{body}, nil
	case len(spans) == 1:
		return nil, fmt.Errorf("span %q left out: %d bytes encoded, more than the %d a request may carry", spans[0].Name(), len(body), limit)
	}
	half := len(spans) / 2
	first, err1 := encodeRequests(spans[:half], limit)
	second, err2 := encodeRequests(spans[half:], limit)
	return append(first, second...), errors.Join(err1, err2)
}

// send POSTs one request until it is taken, refused for good, or the
// timeout (ctx) passes.
func (e *exporter) send(ctx context.Context, body []byte) error {
	if e.cfg.gzip {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write(body); err != nil {
			return fmt.Errorf("gzip: %w", err)
		}
		if err := zw.Close(); err != nil {
			return fmt.Errorf("gzip: %w", err)
		}
		body = buf.Bytes()
	}
	policy := retry.Policy{Initial: e.firstTry, Within: e.cfg.timeout}
	return retry.Do(ctx, e.log, "export spans", policy, func() error { return e.post(ctx, body) })
}

// post makes one try; its error is retry.Permanent unless trying again may help.
func (e *exporter) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.cfg.url, bytes.NewReader(body))
	if err != nil {
		return retry.Permanent(fmt.Errorf("request: %w", err))
	}
	for k, v := range e.cfg.headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("User-Agent", "openbank-kit-observe-otlp")
	if e.cfg.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return fmt.Errorf("post: %w", err) // unreachable or cut off: the receiver may be restarting
	}
	defer func() { _ = resp.Body.Close() }()
	reply, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil && resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s, reading the reply: %w", resp.Status, err)
	}
	if resp.StatusCode/100 == 2 {
		reportPartialSuccess(reply)
		return nil
	}
	err = fmt.Errorf("receiver answered %s%s", resp.Status, statusMessage(resp.Header.Get("Content-Type"), reply))
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		if wait, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return retry.After(wait, err)
		}
		return err
	}
	return retry.Permanent(err)
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(h string, now time.Time) (time.Duration, bool) {
	h = strings.TrimSpace(h)
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return time.Duration(min(s, 24*3600)) * time.Second, true // the timeout bounds it anyway
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}

// statusMessage is ": " and the reason a refusal gives: a google.rpc.Status
// message (field 2) in protobuf, else the start of the text.
func statusMessage(contentType string, reply []byte) string {
	msg := string(reply)
	if strings.HasPrefix(contentType, "application/x-protobuf") {
		_, b, _ := field(reply, 2)
		msg = string(b)
	}
	if msg = strings.TrimSpace(msg); msg == "" {
		return ""
	}
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return ": " + strconv.Quote(msg)
}

// reportPartialSuccess hands the SDK's error handler what an accepted
// ExportTraceServiceResponse says was rejected (its partial_success, field 1).
func reportPartialSuccess(reply []byte) {
	_, partial, ok := field(reply, 1)
	if !ok {
		return
	}
	rejected, _, _ := field(partial, 1)
	_, msg, _ := field(partial, 2)
	if rejected > 0 || len(msg) > 0 {
		otel.Handle(fmt.Errorf("OTLP receiver rejected %d spans: %q", int64(rejected), msg))
	}
}

// field is the last varint or length-delimited value of field num in the
// protobuf message b; ok is false when it is absent or b is malformed.
func field(b []byte, num protowire.Number) (varint uint64, bytes []byte, ok bool) {
	for len(b) > 0 {
		n, typ, tagLen := protowire.ConsumeTag(b)
		if tagLen < 0 {
			return 0, nil, false
		}
		b = b[tagLen:]
		valueLen := protowire.ConsumeFieldValue(n, typ, b)
		if valueLen < 0 {
			return 0, nil, false
		}
		if n == num && typ == protowire.VarintType {
			varint, _ = protowire.ConsumeVarint(b)
			ok = true
		} else if n == num && typ == protowire.BytesType {
			bytes, _ = protowire.ConsumeBytes(b)
			ok = true
		}
		b = b[valueLen:]
	}
	return varint, bytes, ok
}
