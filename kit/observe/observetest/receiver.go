// Package observetest is an OTLP/HTTP trace receiver: what the services
// export when OTEL_EXPORTER_OTLP_ENDPOINT points at it, for tests and for
// `loadtest traces`, which prints the traces of the local stack.
package observetest

import (
	"compress/gzip"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	common "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/proto"
)

// Span is one received span, flattened.
type Span struct {
	Service  string // the resource's service.name
	Name     string
	TraceID  string // hex
	SpanID   string
	ParentID string // "" for a root
	Start    time.Time
	End      time.Time
	Links    []string
	Attrs    map[string]string // string, integer and boolean values
}

// Receiver accepts OTLP/HTTP protobuf exports on POST /v1/traces.
type Receiver struct {
	// URL is the base to set as OTEL_EXPORTER_OTLP_ENDPOINT.
	URL string
	mu  sync.Mutex
	got []Span
}

// NewReceiver listens on loopback until the test ends.
func NewReceiver(t testing.TB) *Receiver {
	r := &Receiver{}
	srv := httptest.NewServer(Handler(func(spans []Span) {
		r.mu.Lock()
		r.got = append(r.got, spans...)
		r.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// Handler serves POST /v1/traces, handing each export's spans to got.
func Handler(got func([]Span)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { serve(w, req, got) })
}

func serve(w http.ResponseWriter, req *http.Request, got func([]Span)) {
	if req.Method != http.MethodPost || req.URL.Path != "/v1/traces" {
		http.NotFound(w, req)
		return
	}
	if ct := req.Header.Get("Content-Type"); ct != "application/x-protobuf" {
		http.Error(w, "want application/x-protobuf, got "+ct, http.StatusUnsupportedMediaType)
		return
	}
	var in io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" { // OTEL_EXPORTER_OTLP_COMPRESSION=gzip
		zr, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, "gzip: "+err.Error(), http.StatusBadRequest)
			return
		}
		in = zr
	}
	body, err := io.ReadAll(io.LimitReader(in, 64<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var export collectortrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &export); err != nil {
		http.Error(w, "decode: "+err.Error(), http.StatusBadRequest)
		return
	}
	var spans []Span
	for _, rs := range export.GetResourceSpans() {
		service := ""
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.GetKey() == "service.name" {
				service = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				sp := Span{Service: service, Name: s.GetName(), TraceID: hex.EncodeToString(s.GetTraceId()),
					SpanID: hex.EncodeToString(s.GetSpanId()), ParentID: hex.EncodeToString(s.GetParentSpanId()),
					Start: time.Unix(0, int64(s.GetStartTimeUnixNano())), End: time.Unix(0, int64(s.GetEndTimeUnixNano())),
					Attrs: map[string]string{}}
				for _, l := range s.GetLinks() {
					sp.Links = append(sp.Links, hex.EncodeToString(l.GetTraceId()))
				}
				for _, kv := range s.GetAttributes() {
					switch v := kv.GetValue().GetValue().(type) {
					case *common.AnyValue_StringValue:
						sp.Attrs[kv.GetKey()] = v.StringValue
					case *common.AnyValue_IntValue:
						sp.Attrs[kv.GetKey()] = strconv.FormatInt(v.IntValue, 10)
					case *common.AnyValue_BoolValue:
						sp.Attrs[kv.GetKey()] = strconv.FormatBool(v.BoolValue)
					}
				}
				spans = append(spans, sp)
			}
		}
	}
	got(spans)
	w.Header().Set("Content-Type", "application/x-protobuf")
	out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	_, _ = w.Write(out)
}

// Spans returns every span received so far.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Span(nil), r.got...)
}
