package messaging

import (
	"context"
	"sync/atomic"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Trace context travels in Kafka headers beside command-id, in the form of
// the propagator that SetTracePropagator installs (observe.StartTracing: W3C
// traceparent and tracestate), so one command can be followed from the
// gateway through the command handler and back. Without one, records carry
// no trace context and all of this costs one atomic load.

// headerPropagator is the installed propagator with its header keys.
type headerPropagator struct {
	prop   propagation.TextMapPropagator
	fields []string
}

var installed atomic.Pointer[headerPropagator]

// SetTracePropagator makes producers write, and Delivery.Context read, trace
// context with prop; nil stops it.
func SetTracePropagator(prop propagation.TextMapPropagator) {
	if prop == nil || len(prop.Fields()) == 0 {
		installed.Store(nil)
		return
	}
	installed.Store(&headerPropagator{prop: prop, fields: prop.Fields()})
}

// HeaderCarrier lets an OpenTelemetry propagator read and write trace
// context in a record's headers.
type HeaderCarrier struct{ Headers *[]Header }

// Get returns the value of the header named key, or "".
func (c HeaderCarrier) Get(key string) string { return headerValue(*c.Headers, key) }

// Set replaces the header named key, or adds it.
func (c HeaderCarrier) Set(key, value string) {
	for i, h := range *c.Headers {
		if h.Key == key {
			(*c.Headers)[i].Value = []byte(value)
			return
		}
	}
	*c.Headers = append(*c.Headers, Header{Key: key, Value: []byte(value)})
}

// Keys lists the headers' keys.
func (c HeaderCarrier) Keys() []string {
	keys := make([]string, len(*c.Headers))
	for i, h := range *c.Headers {
		keys[i] = h.Key
	}
	return keys
}

// TraceHeaders returns headers plus the trace context of the span in ctx, in
// a new slice; headers itself when there is nothing to carry. A message whose
// headers carry trace context already keeps it when sent (see SendAsync), so
// a batch's events can each answer their own command's trace.
func TraceHeaders(ctx context.Context, headers []Header) []Header {
	return installed.Load().inject(ctx, headers)
}

func (p *headerPropagator) inject(ctx context.Context, headers []Header) []Header {
	if p == nil || !trace.SpanContextFromContext(ctx).IsValid() {
		return headers
	}
	out := make([]Header, len(headers), len(headers)+len(p.fields))
	copy(out, headers)
	p.prop.Inject(ctx, HeaderCarrier{&out})
	return out
}

// withTrace is what SendAsync sends as a message's headers: headers with
// ctx's trace context, unless they carry trace context of their own.
func (p *headerPropagator) withTrace(ctx context.Context, headers []Header) []Header {
	if p == nil || p.carried(headers) {
		return headers
	}
	return p.inject(ctx, headers)
}

// carried says whether headers hold trace context.
func (p *headerPropagator) carried(headers []Header) bool {
	for _, f := range p.fields {
		if headerValue(headers, f) != "" {
			return true
		}
	}
	return false
}

// Context returns ctx with the trace context the delivery carries, so a span
// started from it continues the producer's trace.
func (d Delivery) Context(ctx context.Context) context.Context {
	return installed.Load().extract(ctx, d.Headers)
}

// Context returns ctx with the trace context the record carries.
func (r RawRecord) Context(ctx context.Context) context.Context {
	return installed.Load().extract(ctx, r.Headers)
}

func (p *headerPropagator) extract(ctx context.Context, headers []Header) context.Context {
	if p == nil || !p.carried(headers) {
		return ctx
	}
	return p.extractCarried(ctx, headers)
}

// extractCarried is apart from extract because its headers escape to the
// heap, which would cost a record without trace context an allocation too.
func (p *headerPropagator) extractCarried(ctx context.Context, headers []Header) context.Context {
	return p.prop.Extract(ctx, HeaderCarrier{&headers})
}
