package observe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"openbank/kit/env"
	"openbank/messaging"
)

// Variables that switch tracing on; the exporter reads the rest of the
// standard OTEL_* variables itself (headers, timeout, sampler).
const (
	EnvEndpoint       = "OTEL_EXPORTER_OTLP_ENDPOINT"
	EnvTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
)

// tracesEndpoint is where spans go and the variable that says so; "" for nowhere.
// The names are spelled out so deploy/checks sees what a service reads.
func tracesEndpoint() (name, url string) {
	if v := strings.TrimSpace(os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")); v != "" {
		return EnvTracesEndpoint, v
	}
	return EnvEndpoint, strings.TrimSpace(os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"))
}

// StartTracing exports spans over OTLP/HTTP (protobuf) when
// OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) is set, and installs
// the W3C trace-context propagator, globally and for Kafka headers
// (messaging.SetTracePropagator).
// Unset, it installs nothing: spans are OpenTelemetry's no-ops and records
// carry no trace context. shutdown flushes the spans still buffered.
func StartTracing(ctx context.Context, service string, log *slog.Logger) (shutdown func(context.Context) error, err error) {
	none := func(context.Context) error { return nil }
	name, endpoint := tracesEndpoint()
	if endpoint == "" || strings.EqualFold(os.Getenv("OTEL_SDK_DISABLED"), "true") {
		return none, nil
	}
	if u, err := url.Parse(endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return none, fmt.Errorf("%s=%q: want http://host:port or https://host:port (OTLP over HTTP)", name, endpoint)
	}
	if p := os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL"); p != "" && p != "http/protobuf" {
		return none, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%q: only http/protobuf is built in", p)
	}
	exporter, err := otlptracehttp.New(ctx)
	if err != nil {
		return none, fmt.Errorf("OTLP trace exporter for %s: %w", endpoint, err)
	}
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
	log.Info("tracing on", "endpoint", endpoint, "service", service)
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

// The tracing variables every service reads (StartTracing), in its table of
// settings (`PROGRAM settings`).
func init() {
	for _, s := range []env.Setting{
		{Name: EnvEndpoint, Type: "text", Range: "`http(s)://host:port`",
			Doc: "export traces over OTLP/HTTP ([observability.md](observability.md#tracing))"},
		{Name: EnvTracesEndpoint, Type: "text", Range: "`http(s)://host:port`",
			Doc: "the same, for traces only; wins over the one above"},
		{Name: "OTEL_EXPORTER_OTLP_PROTOCOL", Type: "text", Default: "http/protobuf", Range: "`http/protobuf` only",
			Doc: "the exporter's protocol"},
		{Name: "OTEL_SDK_DISABLED", Type: "boolean", Default: "false",
			Doc: "`true` turns tracing off; the other standard `OTEL_*` variables (headers, sampler, `OTEL_SERVICE_NAME`) apply"},
	} {
		env.Declare(s)
	}
}
