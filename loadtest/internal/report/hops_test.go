package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"openbank/loadtest/internal/result"
)

func TestHopsInPathOrderInTableAndPage(t *testing.T) {
	res := func(load, sum, n float64) result.Resources {
		return result.Resources{AdditionalLoad: load, Hops: map[string]result.HopTotal{
			"handler_published": {Sum: sum, Count: n}, "gateway_command_acknowledged": {Sum: sum / 2, Count: n}, "zz_new_hop": {Sum: sum, Count: n}}}
	}
	a := file("go", nil, []result.Sample{lat(0, 10), lat(250, 20)},
		[]result.Resources{res(0, 1, 100), res(0, 1.5, 200), res(250, 3.5, 300), res(250, 5.5, 400)})
	r := Build([]*result.File{a}, nil, time.Unix(0, 0))
	var txt bytes.Buffer
	if err := WriteTable(&txt, r); err != nil {
		t.Fatal(err)
	}
	out := txt.String()
	i, j, k := strings.Index(out, "gateway_command_acknowledged"), strings.Index(out, "handler_published"), strings.Index(out, "zz_new_hop")
	if i < 0 || j < i || k < j {
		t.Fatalf("hops missing or out of path order:\n%s", out)
	}
	// Load 250: (5.5-1.5)/(400-200) s = 20 ms published, 10 ms acknowledged.
	if !strings.Contains(out, "250  ") || !strings.Contains(out, "10.0") || !strings.Contains(out, "20.0") {
		t.Errorf("hop means missing:\n%s", out)
	}
	var page bytes.Buffer
	if err := WriteHTML(&page, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page.String(), "Time per hop, go") || !strings.Contains(page.String(), "handler_published at 250: 20 ms (mean)") {
		t.Errorf("page lacks the stacked hop chart")
	}
}
