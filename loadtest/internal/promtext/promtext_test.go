package promtext

import (
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
	v, ok, err := Parse(strings.NewReader(text), "command_handler_consumer_lag")
	if err != nil || !ok || v != 42 {
		t.Errorf("lag = %v %v %v", v, ok, err)
	}
	v, ok, err = Parse(strings.NewReader(text), "x_total")
	if err != nil || !ok || v != 5 {
		t.Errorf("x_total = %v %v %v, want the sum 5", v, ok, err)
	}
	if _, ok, err := Parse(strings.NewReader(text), "absent"); ok || err != nil {
		t.Errorf("absent metric: %v %v", ok, err)
	}
	if _, _, err := Parse(strings.NewReader("garbage{"), "x"); err == nil {
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
	got, err := ParseHistograms(strings.NewReader(text), "bank_hop_seconds", "hop")
	if err != nil {
		t.Fatal(err)
	}
	if got["handler_decide"] != (Totals{Sum: 0.5, Count: 4}) || got["handler_publish"] != (Totals{Sum: 0.25, Count: 2}) || len(got) != 2 {
		t.Fatalf("got %v", got)
	}
	none, err := ParseHistograms(strings.NewReader(text), "missing", "hop")
	if err != nil || len(none) != 0 {
		t.Fatalf("missing metric: %v %v", none, err)
	}
}
