//go:build integration

package main

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"openbank/kit/gqlws"
	"openbank/kit/observe"
	"openbank/kit/observe/observetest"
	"openbank/messaging/messagingtest"
	"openbank/topology"
)

// TestOneTraceGatewayHandlerGateway runs the command handler and the gateway
// with OTEL_EXPORTER_OTLP_ENDPOINT pointing at an OTLP receiver in this test,
// makes one transfer, and follows it: the gateway's money_transfer span, the
// handler's span for the command (its child, through the command's Kafka
// headers), and the gateway's spans for the feedback and the BalanceChanged
// events (children of the handler's) are one trace. Both services' /metrics
// then hold every hop of bank_hop_seconds.
func TestOneTraceGatewayHandlerGateway(t *testing.T) {
	recv := observetest.NewReceiver(t)
	tracing := []string{"OTEL_EXPORTER_OTLP_ENDPOINT=" + recv.URL, "OTEL_BSP_SCHEDULE_DELAY=200"}

	handlerBin := messagingtest.Build(t, "../command-handler")
	group := fmt.Sprintf("gw-trace-handler-%d", time.Now().UnixNano())
	messagingtest.StartGroupAtEnd(t, group, topology.TopicCommands)
	hport := messagingtest.FreePort(t)
	handler := messagingtest.Start(t, handlerBin, append(tracing, "KAFKA_GROUP_ID="+group, "HTTP_PORT="+strconv.Itoa(hport))...)
	handler.WaitReady(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", hport))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("command handler said:\n%s", handler.Output())
		}
	})
	gw := startGateway(t, tracing...)

	conn := gw.dial(t, "/graphql-ws", gqlws.TransportWS)
	_, events := subscribe(t, conn, qGetAccount, map[string]any{"u": fmt.Sprintf("trace-%d", time.Now().UnixNano()), "p": "password"})
	acc := next[accountResult](t, events, "get_account")
	if acc.IBAN == nil {
		t.Fatalf("get_account: %s", str(acc.Reason))
	}
	id := uuid.NewString()
	_, events = subscribe(t, conn, qTransfer, map[string]any{"uuid": id, "token": "cash", "amount": 500,
		"from": "cash", "to": *acc.IBAN, "descr": "traced"})
	if r := next[transferResult](t, events, "money_transfer"); r.Success == nil || !*r.Success {
		t.Fatalf("money_transfer: %s", str(r.Reason))
	}

	// The spans are exported in the background: wait for the four kinds.
	var request, command, feedback observetest.Span
	var changes []observetest.Span
	deadline := time.Now().Add(30 * time.Second)
	for {
		changes = changes[:0]
		for _, s := range recv.Spans() {
			if s.Attrs["bank.command_id"] != id {
				continue
			}
			switch {
			case s.Service == "graphql-endpoint" && s.Name == "money_transfer":
				request = s
			case s.Service == "command-handler" && s.Name == "handle ConfirmMoneyTransfer":
				command = s
			case s.Service == "graphql-endpoint" && s.Name == "feedback consumed":
				feedback = s
			case s.Service == "graphql-endpoint" && s.Name == "balance_changed consumed":
				changes = append(changes, s)
			}
		}
		if request.TraceID != "" && command.TraceID != "" && feedback.TraceID != "" && len(changes) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("spans of command %s: request %+v, handler %+v, feedback %+v, balance changes %+v (of %d received)",
				id, request, command, feedback, changes, len(recv.Spans()))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("trace %s: money_transfer %s -> handle ConfirmMoneyTransfer %s (parent %s) -> feedback consumed %s (parent %s), %d balance_changed consumed",
		request.TraceID, request.SpanID, command.SpanID, command.ParentID, feedback.SpanID, feedback.ParentID, len(changes))
	if command.TraceID != request.TraceID || command.ParentID != request.SpanID {
		t.Errorf("handler span: trace %s parent %s, want trace %s parent %s", command.TraceID, command.ParentID, request.TraceID, request.SpanID)
	}
	for _, s := range append([]observetest.Span{feedback}, changes...) {
		if s.TraceID != request.TraceID || s.ParentID != command.SpanID {
			t.Errorf("%s span: trace %s parent %s, want trace %s parent %s", s.Name, s.TraceID, s.ParentID, request.TraceID, command.SpanID)
		}
	}
	if command.Attrs["bank.result"] != "confirmed" || request.Attrs["bank.success"] != "true" {
		t.Errorf("handler span result %q, request span success %q", command.Attrs["bank.result"], request.Attrs["bank.success"])
	}

	for url, hops := range map[string][]string{
		fmt.Sprintf("http://127.0.0.1:%d/metrics", hport): {observe.HopHandlerQueued, observe.HopHandlerDecided, observe.HopHandlerPublished},
		gw.url("/metrics"): {observe.HopGatewayCommandAcknowledged, observe.HopGatewayEventQueued, observe.HopGatewayEventStored, observe.HopGatewayEventPushed},
	} {
		text := get(t, url)
		for _, hop := range hops {
			n := sample(text, observe.HopMetric+`_count{hop="`+hop+`"}`)
			if n < 1 {
				t.Errorf("%s: %s_count{hop=%q} = %g, want ≥ 1", url, observe.HopMetric, hop, n)
			}
		}
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sample is the value of the exposition line for series, or -1.
func sample(text, series string) float64 {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}
