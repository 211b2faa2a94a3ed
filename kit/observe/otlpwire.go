package observe

import (
	"encoding/binary"
	"math"
	"slices"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/encoding/protowire"
)

// This file writes an OTLP ExportTraceServiceRequest in the protobuf wire
// format by hand, with protowire alone: the generated OTLP types would link
// the protobuf reflection runtime into every service for one message.
// Field numbers are those of opentelemetry-proto's trace/v1, common/v1 and
// resource/v1; TestEncodeMatchesOTLP decodes the bytes with the generated
// types and compares every field.

// appendTraceRequest appends the ExportTraceServiceRequest carrying spans,
// grouped by resource and then by instrumentation scope in the order first
// seen, as the official exporter groups them.
func appendTraceRequest(b []byte, spans []sdktrace.ReadOnlySpan) []byte {
	type scoped struct {
		scope instrumentation.Scope
		spans []sdktrace.ReadOnlySpan
	}
	type resourced struct {
		res    *resource.Resource
		scopes []*scoped
	}
	var groups []*resourced
	byRes := map[attribute.Distinct]*resourced{}
	for _, s := range spans {
		if s == nil {
			continue
		}
		key := s.Resource().Equivalent()
		r, ok := byRes[key]
		if !ok {
			r = &resourced{res: s.Resource()}
			byRes[key] = r
			groups = append(groups, r)
		}
		i := slices.IndexFunc(r.scopes, func(sc *scoped) bool { return sc.scope == s.InstrumentationScope() })
		if i < 0 {
			r.scopes = append(r.scopes, &scoped{scope: s.InstrumentationScope()})
			i = len(r.scopes) - 1
		}
		r.scopes[i].spans = append(r.scopes[i].spans, s)
	}
	for _, r := range groups {
		b = appendMessage(b, 1, func(b []byte) []byte { // resource_spans
			if r.res != nil {
				b = appendMessage(b, 1, func(b []byte) []byte { // resource
					return appendAttrs(b, 1, r.res.Attributes())
				})
			}
			for _, sc := range r.scopes {
				b = appendMessage(b, 2, func(b []byte) []byte { // scope_spans
					if sc.scope != (instrumentation.Scope{}) {
						b = appendMessage(b, 1, func(b []byte) []byte { return appendScope(b, sc.scope) })
					}
					for _, s := range sc.spans {
						b = appendMessage(b, 2, func(b []byte) []byte { return appendSpan(b, s) })
					}
					return appendString(b, 3, sc.scope.SchemaURL)
				})
			}
			if r.res != nil {
				b = appendString(b, 3, r.res.SchemaURL())
			}
			return b
		})
	}
	return b
}

// appendScope appends an InstrumentationScope's fields.
func appendScope(b []byte, s instrumentation.Scope) []byte {
	b = appendString(b, 1, s.Name)
	b = appendString(b, 2, s.Version)
	return appendAttrs(b, 3, s.Attributes.ToSlice())
}

// appendSpan appends a Span's fields.
func appendSpan(b []byte, s sdktrace.ReadOnlySpan) []byte {
	sc := s.SpanContext()
	tid, sid := sc.TraceID(), sc.SpanID()
	b = appendBytes(b, 1, tid[:])
	b = appendBytes(b, 2, sid[:])
	b = appendString(b, 3, sc.TraceState().String())
	if p := s.Parent().SpanID(); p.IsValid() {
		b = appendBytes(b, 4, p[:])
	}
	b = appendString(b, 5, s.Name())
	b = appendUint(b, 6, uint64(spanKind(s.SpanKind())))
	b = appendTime(b, 7, s.StartTime())
	b = appendTime(b, 8, s.EndTime())
	b = appendAttrs(b, 9, s.Attributes())
	b = appendUint(b, 10, count(s.DroppedAttributes()))
	for _, e := range s.Events() {
		b = appendMessage(b, 11, func(b []byte) []byte {
			b = appendTime(b, 1, e.Time)
			b = appendString(b, 2, e.Name)
			b = appendAttrs(b, 3, e.Attributes)
			return appendUint(b, 4, count(e.DroppedAttributeCount))
		})
	}
	b = appendUint(b, 12, count(s.DroppedEvents()))
	for _, l := range s.Links() {
		b = appendMessage(b, 13, func(b []byte) []byte {
			tid, sid := l.SpanContext.TraceID(), l.SpanContext.SpanID()
			b = appendBytes(b, 1, tid[:])
			b = appendBytes(b, 2, sid[:])
			b = appendString(b, 3, l.SpanContext.TraceState().String())
			b = appendAttrs(b, 4, l.Attributes)
			b = appendUint(b, 5, count(l.DroppedAttributeCount))
			return appendFixed32(b, 6, spanFlags(l.SpanContext.TraceFlags(), l.SpanContext))
		})
	}
	b = appendUint(b, 14, count(s.DroppedLinks()))
	st := s.Status()
	b = appendMessage(b, 15, func(b []byte) []byte {
		b = appendString(b, 2, st.Description)
		return appendUint(b, 3, uint64(statusCode(st.Code)))
	})
	return appendFixed32(b, 16, spanFlags(sc.TraceFlags(), s.Parent()))
}

// spanFlags are the W3C trace flags plus "whether the parent is remote is
// known" and, when it is, "remote" (SpanFlags in trace.proto).
func spanFlags(f trace.TraceFlags, parent trace.SpanContext) uint32 {
	flags := uint32(f) | 0x100
	if parent.IsRemote() {
		flags |= 0x200
	}
	return flags
}

// spanKind is OTLP's Span.SpanKind for the API's kind.
func spanKind(k trace.SpanKind) int {
	switch k {
	case trace.SpanKindInternal, trace.SpanKindServer, trace.SpanKindClient, trace.SpanKindProducer, trace.SpanKindConsumer:
		return int(k) // 1 to 5 in both
	}
	return 0
}

// statusCode is OTLP's Status.StatusCode: the API numbers Error before Ok.
func statusCode(c codes.Code) int {
	switch c {
	case codes.Ok:
		return 1
	case codes.Error:
		return 2
	}
	return 0
}

// appendAttrs appends each attribute as a KeyValue in field num.
func appendAttrs(b []byte, num protowire.Number, attrs []attribute.KeyValue) []byte {
	for _, kv := range attrs {
		b = appendMessage(b, num, func(b []byte) []byte {
			b = appendString(b, 1, string(kv.Key))
			return appendMessage(b, 2, func(b []byte) []byte { return appendValue(b, kv.Value) })
		})
	}
	return b
}

// appendValue appends an AnyValue's one field: written even when zero,
// since the field's presence is the value's kind.
func appendValue(b []byte, v attribute.Value) []byte {
	switch v.Type() {
	case attribute.STRING:
		return protowire.AppendString(protowire.AppendTag(b, 1, protowire.BytesType), v.AsString())
	case attribute.BOOL:
		return protowire.AppendVarint(protowire.AppendTag(b, 2, protowire.VarintType), protowire.EncodeBool(v.AsBool()))
	case attribute.INT64:
		return protowire.AppendVarint(protowire.AppendTag(b, 3, protowire.VarintType), uint64(v.AsInt64()))
	case attribute.FLOAT64:
		return appendDouble(b, 4, v.AsFloat64())
	case attribute.BYTESLICE:
		return protowire.AppendBytes(protowire.AppendTag(b, 7, protowire.BytesType), v.AsByteSlice())
	case attribute.MAP:
		return appendMessage(b, 6, func(b []byte) []byte { return appendAttrs(b, 1, v.AsMap()) })
	case attribute.EMPTY:
		return b
	}
	var items []attribute.Value
	switch v.Type() {
	case attribute.STRINGSLICE:
		for _, x := range v.AsStringSlice() {
			items = append(items, attribute.StringValue(x))
		}
	case attribute.BOOLSLICE:
		for _, x := range v.AsBoolSlice() {
			items = append(items, attribute.BoolValue(x))
		}
	case attribute.INT64SLICE:
		for _, x := range v.AsInt64Slice() {
			items = append(items, attribute.Int64Value(x))
		}
	case attribute.FLOAT64SLICE:
		for _, x := range v.AsFloat64Slice() {
			items = append(items, attribute.Float64Value(x))
		}
	case attribute.SLICE:
		items = v.AsSlice()
	default: // a kind newer than this encoder, shown as the official exporter shows it
		return appendValue(b, attribute.StringValue("INVALID"))
	}
	return appendMessage(b, 5, func(b []byte) []byte { // array_value
		for _, x := range items {
			b = appendMessage(b, 1, func(b []byte) []byte { return appendValue(b, x) })
		}
		return b
	})
}

// appendMessage appends field num holding the message content writes: the
// content goes first, then its length is slipped in before it.
func appendMessage(b []byte, num protowire.Number, content func([]byte) []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	start := len(b)
	b = content(b)
	var n [binary.MaxVarintLen64]byte
	return slices.Insert(b, start, protowire.AppendVarint(n[:0], uint64(len(b)-start))...)
}

// The scalar writers leave out zero values, as proto3 does.

func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	return protowire.AppendString(protowire.AppendTag(b, num, protowire.BytesType), s)
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), v)
}

func appendUint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.VarintType), v)
}

func appendFixed32(b []byte, num protowire.Number, v uint32) []byte {
	if v == 0 {
		return b
	}
	return protowire.AppendFixed32(protowire.AppendTag(b, num, protowire.Fixed32Type), v)
}

func appendTime(b []byte, num protowire.Number, t time.Time) []byte {
	ns := max(0, t.UnixNano())
	if ns == 0 {
		return b
	}
	return protowire.AppendFixed64(protowire.AppendTag(b, num, protowire.Fixed64Type), uint64(ns))
}

func appendDouble(b []byte, num protowire.Number, f float64) []byte {
	return protowire.AppendFixed64(protowire.AppendTag(b, num, protowire.Fixed64Type), math.Float64bits(f))
}

// count is a dropped count as OTLP's uint32, clamped.
func count(n int) uint64 { return uint64(min(max(n, 0), math.MaxUint32)) }
