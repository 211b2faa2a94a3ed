package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"openbank/kit/observe/observetest"
)

func TestTraceIsPrintedAsATreeOnceSettled(t *testing.T) {
	t0 := time.Unix(100, 0)
	span := func(id, parent, service, name string, startMS, durMS int) observetest.Span {
		start := t0.Add(time.Duration(startMS) * time.Millisecond)
		return observetest.Span{TraceID: "t1", SpanID: id, ParentID: parent, Service: service, Name: name,
			Start: start, End: start.Add(time.Duration(durMS) * time.Millisecond), Attrs: map[string]string{}}
	}
	root := span("a", "", "graphql-endpoint", "money_transfer", 0, 40)
	root.Attrs[commandIDAttr] = "cmd-1"
	c := &traceCollector{traces: map[string]*pendingTrace{}}
	c.add([]observetest.Span{span("c", "a", "graphql-endpoint", "feedback consumed", 30, 2), root})
	c.add([]observetest.Span{span("b", "a", "command-handler", "handle ConfirmMoneyTransfer", 5, 20),
		span("x", "gone", "command-handler", "orphan", 1, 1)})
	if got := c.complete(time.Now(), time.Hour); len(got) != 0 {
		t.Fatalf("a trace still receiving spans was complete: %v", got)
	}
	got := c.complete(time.Now().Add(2*time.Hour), time.Hour)
	if len(got) != 1 || len(got[0]) != 4 || !hasAttr(got[0], commandIDAttr, "cmd-1") {
		t.Fatalf("complete = %v", got)
	}
	var out bytes.Buffer
	printTrace(&out, got[0])
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{"command cmd-1: 4 spans, 40.0 ms", "  money_transfer", "    handle ConfirmMoneyTransfer", "    feedback consumed", "  orphan"}
	if len(lines) != len(want) {
		t.Fatalf("printed:\n%s", out.String())
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d = %q, want it to contain %q", i, lines[i], w)
		}
	}
}
