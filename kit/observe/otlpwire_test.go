package observe

import (
	"math"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	common "go.opentelemetry.io/proto/otlp/common/v1"
	otlpresource "go.opentelemetry.io/proto/otlp/resource/v1"
	otlptrace "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
)

// TestEncodeMatchesOTLP decodes the hand-written bytes with the generated
// OTLP types and compares every field with the request written out here.
func TestEncodeMatchesOTLP(t *testing.T) {
	tid := trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	state, err := trace.ParseTraceState("vendor=abc,other=x")
	if err != nil {
		t.Fatal(err)
	}
	parent := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: trace.SpanID{9, 9, 9, 9, 9, 9, 9, 9}, Remote: true})
	linked := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{0xff, 1}, SpanID: trace.SpanID{0xee, 2},
		TraceFlags: trace.FlagsSampled, TraceState: state})
	start := time.Unix(1_700_000_000, 123_456_789)
	bank := resource.NewWithAttributes("https://schema/1", attribute.String("service.name", "bank"), attribute.Int("pid", 7))
	other := resource.NewSchemaless(attribute.String("service.name", "other"))
	scope := instrumentation.Scope{Name: "lib", Version: "v1.2", SchemaURL: "https://schema/scope", Attributes: attribute.NewSet(attribute.Bool("x", true))}

	full := tracetest.SpanStub{
		Name: "handle command",
		SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: trace.SpanID{1, 1, 1, 1, 1, 1, 1, 1},
			TraceFlags: trace.FlagsSampled, TraceState: state}),
		Parent: parent, SpanKind: trace.SpanKindConsumer, StartTime: start, EndTime: start.Add(1500 * time.Microsecond),
		Attributes: []attribute.KeyValue{
			attribute.String("s", "text"), attribute.String("empty", ""), attribute.Bool("b", false), attribute.Int64("i", -42),
			attribute.Float64("f", math.Pi), attribute.Float64("zero", 0), attribute.StringSlice("ss", []string{"a", ""}),
			attribute.BoolSlice("bs", []bool{true, false}), attribute.Int64Slice("is", []int64{1, -1}),
			attribute.Float64Slice("fs", []float64{0.5}), {Key: "bytes", Value: attribute.ByteSliceValue([]byte{0, 1})},
			attribute.Map("m", attribute.String("k", "v"), attribute.Int("n", 3)),
			attribute.Slice("mixed", attribute.StringValue("x"), attribute.IntValue(2)),
			{Key: "nothing", Value: attribute.Value{}},
		},
		Events: []sdktrace.Event{
			{Name: "retry", Time: start.Add(time.Millisecond), Attributes: []attribute.KeyValue{attribute.Int("try", 2)}, DroppedAttributeCount: 1},
			{Name: "bare"},
		},
		Links:             []sdktrace.Link{{SpanContext: linked, Attributes: []attribute.KeyValue{attribute.String("why", "batch")}, DroppedAttributeCount: 3}},
		Status:            sdktrace.Status{Code: codes.Error, Description: "insufficient funds"},
		DroppedAttributes: 4, DroppedEvents: 5, DroppedLinks: 6,
		Resource: bank, InstrumentationScope: scope,
	}
	root := tracetest.SpanStub{Name: "root", SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: trace.SpanID{2}}),
		SpanKind: trace.SpanKindServer, StartTime: start, EndTime: start, Status: sdktrace.Status{Code: codes.Ok},
		Resource: bank, InstrumentationScope: instrumentation.Scope{Name: "other lib"}}
	elsewhere := tracetest.SpanStub{Name: "elsewhere", SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: trace.SpanID{3}}),
		Resource: other}
	spans := tracetest.SpanStubs{full, root, elsewhere, full}.Snapshots()

	var got collectortrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(appendTraceRequest(nil, spans), &got); err != nil {
		t.Fatal(err)
	}

	str := func(s string) *common.AnyValue {
		return &common.AnyValue{Value: &common.AnyValue_StringValue{StringValue: s}}
	}
	i64 := func(i int64) *common.AnyValue { return &common.AnyValue{Value: &common.AnyValue_IntValue{IntValue: i}} }
	boolean := func(b bool) *common.AnyValue {
		return &common.AnyValue{Value: &common.AnyValue_BoolValue{BoolValue: b}}
	}
	float := func(f float64) *common.AnyValue {
		return &common.AnyValue{Value: &common.AnyValue_DoubleValue{DoubleValue: f}}
	}
	array := func(v ...*common.AnyValue) *common.AnyValue {
		return &common.AnyValue{Value: &common.AnyValue_ArrayValue{ArrayValue: &common.ArrayValue{Values: v}}}
	}
	kv := func(k string, v *common.AnyValue) *common.KeyValue { return &common.KeyValue{Key: k, Value: v} }
	nanos := func(t time.Time) uint64 { return uint64(t.UnixNano()) }
	fullSpan := &otlptrace.Span{
		TraceId: tid[:], SpanId: []byte{1, 1, 1, 1, 1, 1, 1, 1}, TraceState: "vendor=abc,other=x",
		ParentSpanId: []byte{9, 9, 9, 9, 9, 9, 9, 9}, Flags: 0x301, Name: "handle command",
		Kind:              otlptrace.Span_SPAN_KIND_CONSUMER,
		StartTimeUnixNano: nanos(start), EndTimeUnixNano: nanos(start.Add(1500 * time.Microsecond)),
		Attributes: []*common.KeyValue{
			kv("s", str("text")), kv("empty", str("")), kv("b", boolean(false)), kv("i", i64(-42)), kv("f", float(math.Pi)),
			kv("zero", float(0)), kv("ss", array(str("a"), str(""))), kv("bs", array(boolean(true), boolean(false))),
			kv("is", array(i64(1), i64(-1))), kv("fs", array(float(0.5))),
			kv("bytes", &common.AnyValue{Value: &common.AnyValue_BytesValue{BytesValue: []byte{0, 1}}}),
			kv("m", &common.AnyValue{Value: &common.AnyValue_KvlistValue{KvlistValue: &common.KeyValueList{
				Values: []*common.KeyValue{kv("k", str("v")), kv("n", i64(3))}}}}),
			kv("mixed", array(str("x"), i64(2))),
			kv("nothing", &common.AnyValue{}),
		},
		DroppedAttributesCount: 4,
		Events: []*otlptrace.Span_Event{
			{TimeUnixNano: nanos(start.Add(time.Millisecond)), Name: "retry", Attributes: []*common.KeyValue{kv("try", i64(2))}, DroppedAttributesCount: 1},
			{Name: "bare"},
		},
		DroppedEventsCount: 5,
		Links: []*otlptrace.Span_Link{{TraceId: []byte{0xff, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, SpanId: []byte{0xee, 2, 0, 0, 0, 0, 0, 0},
			TraceState: "vendor=abc,other=x", Attributes: []*common.KeyValue{kv("why", str("batch"))}, DroppedAttributesCount: 3, Flags: 0x101}},
		DroppedLinksCount: 6,
		Status:            &otlptrace.Status{Message: "insufficient funds", Code: otlptrace.Status_STATUS_CODE_ERROR},
	}
	want := &collectortrace.ExportTraceServiceRequest{ResourceSpans: []*otlptrace.ResourceSpans{
		{
			Resource:  &otlpresource.Resource{Attributes: []*common.KeyValue{kv("pid", i64(7)), kv("service.name", str("bank"))}},
			SchemaUrl: "https://schema/1",
			ScopeSpans: []*otlptrace.ScopeSpans{
				{
					Scope:     &common.InstrumentationScope{Name: "lib", Version: "v1.2", Attributes: []*common.KeyValue{kv("x", boolean(true))}},
					SchemaUrl: "https://schema/scope",
					Spans:     []*otlptrace.Span{fullSpan, fullSpan},
				},
				{
					Scope: &common.InstrumentationScope{Name: "other lib"},
					Spans: []*otlptrace.Span{{TraceId: tid[:], SpanId: []byte{2, 0, 0, 0, 0, 0, 0, 0}, Flags: 0x100, Name: "root",
						Kind: otlptrace.Span_SPAN_KIND_SERVER, StartTimeUnixNano: nanos(start), EndTimeUnixNano: nanos(start),
						Status: &otlptrace.Status{Code: otlptrace.Status_STATUS_CODE_OK}}},
				},
			},
		},
		{
			Resource: &otlpresource.Resource{Attributes: []*common.KeyValue{kv("service.name", str("other"))}},
			ScopeSpans: []*otlptrace.ScopeSpans{{Spans: []*otlptrace.Span{{TraceId: tid[:], SpanId: []byte{3, 0, 0, 0, 0, 0, 0, 0},
				Flags: 0x100, Name: "elsewhere", Status: &otlptrace.Status{}}}}},
		},
	}}
	if !proto.Equal(&got, want) {
		t.Errorf("decoded\n%s\nwant\n%s", prototext.Format(&got), prototext.Format(want))
	}
	if len(got.ProtoReflect().GetUnknown()) > 0 {
		t.Error("unknown fields in the request")
	}
}

func TestEncodeNothing(t *testing.T) {
	if b := appendTraceRequest(nil, nil); len(b) != 0 {
		t.Errorf("no spans encode to %x", b)
	}
}
