package observe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"openbank/kit/env"
	"openbank/messaging"
)

// Variables that switch tracing on.
const (
	EnvEndpoint       = "OTEL_EXPORTER_OTLP_ENDPOINT"
	EnvTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
)

// exporterConfig is where and how the exporter (otlpexport.go) sends spans.
type exporterConfig struct {
	url     string // the whole URL spans are POSTed to
	headers map[string]string
	timeout time.Duration // for one batch, retries included
	gzip    bool
}

// readExporterConfig reads the standard OTEL_EXPORTER_OTLP_* variables the
// exporter honours (each _TRACES_ one wins over its general one); on is
// false when no endpoint is set or OTEL_SDK_DISABLED is true.
func readExporterConfig(e *env.Env) (cfg exporterConfig, on bool) {
	const wantURL = "want an http:// or https:// URL (OTLP over HTTP)"
	base := e.String(EnvEndpoint, "", "export traces over OTLP/HTTP to this base URL, `/v1/traces` appended ([observability.md](observability.md#tracing))")
	traces := e.String(EnvTracesEndpoint, "", "the same, for traces only, the URL used as it is; wins over the one above")
	e.OneOf("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf", []string{"http/protobuf"}, "the exporter's protocol")
	disabled := e.Bool("OTEL_SDK_DISABLED", false,
		"`true` turns tracing off; the SDK's own standard `OTEL_*` variables (sampler, `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_BSP_*`) apply")
	cfg.headers = e.Headers("OTEL_EXPORTER_OTLP_HEADERS", "header fields sent with every export (credentials, say)")
	if h := e.Headers("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "the same, for traces only; wins over the one above"); h != nil {
		cfg.headers = h
	}
	cfg.timeout = e.Millis("OTEL_EXPORTER_OTLP_TIMEOUT", 10*time.Second, time.Millisecond, 10*time.Minute,
		"milliseconds one batch's export may take, retries included")
	cfg.timeout = e.Millis("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", cfg.timeout, time.Millisecond, 10*time.Minute,
		"the same, for traces only; wins over the one above")
	compression := e.OneOf("OTEL_EXPORTER_OTLP_COMPRESSION", "none", []string{"gzip", "none"}, "the exports' compression")
	cfg.gzip = e.OneOf("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", compression, []string{"gzip", "none"},
		"the same, for traces only; wins over the one above") == "gzip"
	if disabled {
		return cfg, false
	}
	baseURL, baseOK := httpURL(base)
	e.Check(base == "" || baseOK, EnvEndpoint, wantURL)
	tracesURL, tracesOK := httpURL(traces)
	e.Check(traces == "" || tracesOK, EnvTracesEndpoint, wantURL)
	switch {
	case tracesOK:
		cfg.url = tracesURL.String()
	case traces == "" && baseOK:
		cfg.url = baseURL.JoinPath("v1/traces").String()
	}
	return cfg, cfg.url != ""
}

// httpURL parses s, an http or https URL with a host.
func httpURL(s string) (*url.URL, bool) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, false
	}
	return u, true
}

// StartTracing exports spans over OTLP/HTTP (protobuf) when
// OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) is set, and installs
// the W3C trace-context propagator, globally and for Kafka headers
// (messaging.SetTracePropagator).
// Unset, it installs nothing: spans are OpenTelemetry's no-ops and records
// carry no trace context. shutdown flushes the spans still buffered.
func StartTracing(ctx context.Context, service string, log *slog.Logger) (shutdown func(context.Context) error, err error) {
	none := func(context.Context) error { return nil }
	vars := env.New()
	cfg, on := readExporterConfig(vars)
	if err := vars.Err(); err != nil {
		return none, fmt.Errorf("tracing: %w", err)
	}
	if !on {
		return none, nil
	}
	exporter := newExporter(cfg, log)
	// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, when set, win.
	res, err := resource.New(ctx, resource.WithAttributes(semconv.ServiceName(service)),
		resource.WithFromEnv(), resource.WithTelemetrySDK(), resource.WithHost())
	if errors.Is(err, resource.ErrPartialResource) {
		log.Warn("tracing resource incomplete", "error", err)
	} else if err != nil {
		return none, fmt.Errorf("tracing resource: %w", err)
	}
	provider := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
	otel.SetTracerProvider(provider)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	messaging.SetTracePropagator(propagation.TraceContext{})
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Warn("tracing", "error", err) }))
	log.Info("tracing on", "url", cfg.url, "gzip", cfg.gzip, "timeout", cfg.timeout, "service", service)
	return func(ctx context.Context) error {
		if err := provider.Shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("flush spans: %w", err)
		}
		return nil
	}, nil
}

// StopTracing flushes what StartTracing's exporter still holds, within 2 s,
// for a service's deferred shutdown; a failure is only logged.
func StopTracing(shutdown func(context.Context) error, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := shutdown(ctx); err != nil {
		log.Warn("stop tracing", "error", err)
	}
}

// Every service's table of settings (`PROGRAM settings`, which never
// starts tracing) shows the tracing variables, as read from nothing.
func init() { readExporterConfig(env.FromMap(nil)) }
