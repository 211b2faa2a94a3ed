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
