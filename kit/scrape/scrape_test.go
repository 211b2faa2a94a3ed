package scrape

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	text := `# HELP command_handler_consumer_lag Records behind.
# TYPE command_handler_consumer_lag gauge
command_handler_consumer_lag 42
# TYPE x_total counter
x_total{a="1"} 2
x_total{a="2"} 3
`
	m, err := Parse(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := m.Sum("command_handler_consumer_lag"); !ok || v != 42 {
		t.Errorf("lag = %v %v", v, ok)
	}
	if v, ok := m.Sum("x_total"); !ok || v != 5 {
		t.Errorf("x_total = %v %v, want the sum 5", v, ok)
	}
	if _, ok := m.Sum("absent"); ok {
		t.Error("absent metric found")
	}
	if _, err := Parse(strings.NewReader("garbage{")); err == nil {
		t.Error("garbage parsed")
	}
}

func TestParseHistogramsPerLabel(t *testing.T) {
	text := `# TYPE bank_hop_seconds histogram
bank_hop_seconds_bucket{hop="handler_decide",le="0.01"} 3
bank_hop_seconds_bucket{hop="handler_decide",le="+Inf"} 4
bank_hop_seconds_sum{hop="handler_decide"} 0.5
bank_hop_seconds_count{hop="handler_decide"} 4
bank_hop_seconds_bucket{hop="handler_publish",le="+Inf"} 2
bank_hop_seconds_sum{hop="handler_publish"} 0.25
bank_hop_seconds_count{hop="handler_publish"} 2
# TYPE other gauge
other 1
`
	m, err := Parse(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	got := m.Totals("bank_hop_seconds", "hop")
	if got["handler_decide"] != (Totals{Sum: 0.5, Count: 4}) || got["handler_publish"] != (Totals{Sum: 0.25, Count: 2}) || len(got) != 2 {
		t.Fatalf("got %v", got)
	}
	if none := m.Totals("missing", "hop"); len(none) != 0 {
		t.Fatalf("missing metric: %v", none)
	}
}

const exposition = `# HELP app_commands_total Commands.
# TYPE app_commands_total counter
app_commands_total{type="A",result="ok"} 3
app_commands_total{type="B",result="ok"} 5
# HELP app_lag Lag.
# TYPE app_lag gauge
app_lag 7
# HELP app_batch_seconds Batches.
# TYPE app_batch_seconds histogram
app_batch_seconds_bucket{le="0.01"} %d
app_batch_seconds_bucket{le="0.1"} %d
app_batch_seconds_bucket{le="+Inf"} %d
app_batch_seconds_sum %g
app_batch_seconds_count %d
`

func TestGet(t *testing.T) {
	scrapes := []string{fmt.Sprintf(exposition, 1, 2, 2, 0.05, 2), fmt.Sprintf(exposition, 1, 9, 12, 1.05, 12)}
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(scrapes[n]))
		n++
	}))
	defer srv.Close()
	before, err := Get(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	after, err := Get(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if v := after.Value("app_commands_total", "type", "B"); v != 5 {
		t.Errorf("counter with type=B: %v, want 5", v)
	}
	if v := after.Value("app_lag"); v != 7 {
		t.Errorf("gauge: %v, want 7", v)
	}
	if v := after.Value("app_missing"); v != 0 {
		t.Errorf("absent metric: %v, want 0", v)
	}
	h := after.Histogram("app_batch_seconds").Since(before.Histogram("app_batch_seconds"))
	if h.Count != 10 || math.Abs(h.Mean()-0.1) > 1e-9 {
		t.Errorf("since: count %v mean %v, want 10 and 0.1", h.Count, h.Mean())
	}
	if q := h.Quantile(0.5); q != 0.1 {
		t.Errorf("p50 %v, want the 0.1 bucket", q)
	}
	if q := h.Quantile(0.99); !math.IsInf(q, 1) {
		t.Errorf("p99 %v, want +Inf", q)
	}
	if s := h.Share(0.1); s != 0.7 {
		t.Errorf("share ≤ 0.1: %v, want 0.7", s)
	}
}

func TestGetRefusesGarbage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("this is { not metrics\n"))
	}))
	defer srv.Close()
	if _, err := Get(context.Background(), srv.URL); err == nil {
		t.Error("no error for text that is not the exposition format")
	}
}
