//go:build integration && e2e

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"openbank/loadtest/internal/chaos"
	"openbank/loadtest/internal/result"
	"openbank/messaging/messagingtest"
	"openbank/topology"
)

// TestBrowserDriver runs `loadtest run --driver browser` for ten loops (five
// deposits, five transfers) against the real page (frontend/dist, served by
// the gateway) in headless Chromium, with the command handler and the gateway
// on the local stack. It needs the built page (npm ci && npm run build in
// frontend/) and Chromium; run it with -tags 'integration e2e'.
func TestBrowserDriver(t *testing.T) {
	messagingtest.Kafka(t)
	dist, err := filepath.Abs(filepath.Join("..", "frontend", "dist"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dist, "index.html")); err != nil {
		t.Fatalf("%s has no index.html: build the page first (npm ci && npm run build in frontend/)", dist)
	}
	suffix := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())
	handlerBin := messagingtest.Build(t, filepath.Join("..", "services", "command-handler"))
	gatewayBin := messagingtest.Build(t, filepath.Join("..", "services", "graphql-endpoint"))
	loadtest := messagingtest.Build(t, ".")

	handlerPort, gatewayPort, pagePort := messagingtest.FreePort(t), messagingtest.FreePort(t), messagingtest.FreePort(t)
	handlerGroup, gatewayGroup := "loadtest-e2e-handler-"+suffix, "loadtest-e2e-gateway-"+suffix
	messagingtest.StartGroupAtEnd(t, handlerGroup, topology.TopicCommands)
	messagingtest.StartGroupAtEnd(t, gatewayGroup+"-transactions", topology.TopicBalanceChanged)
	messagingtest.StartGroupAtEnd(t, gatewayGroup+"-feedback", topology.TopicAccountCreationFeedback, topology.TopicMoneyTransferFeedback)
	handler := messagingtest.Start(t, handlerBin, fmt.Sprintf("HTTP_PORT=%d", handlerPort), "KAFKA_GROUP_ID="+handlerGroup)
	handler.WaitReady(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", handlerPort))
	gateway := messagingtest.Start(t, gatewayBin, append([]string{fmt.Sprintf("HTTP_PORT=%d", gatewayPort), "KAFKA_GROUP_ID=" + gatewayGroup,
		"STATIC_DIR=" + dist, fmt.Sprintf("STATIC_PORT=%d", pagePort)}, chaos.LoadTestGatewayEnv...)...)
	gateway.WaitReady(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", gatewayPort))

	out := filepath.Join(t.TempDir(), "browser.jsonl")
	cmd := exec.Command(loadtest, "run", "--profile", "quick", "--driver", "browser",
		"--category", "go-e2e-browser", "--output", out, "--max-loops", "10", "--min-loop-time", "300ms",
		"--frontend-url", fmt.Sprintf("http://127.0.0.1:%d/client", pagePort),
		"--graphql-url", fmt.Sprintf("ws://127.0.0.1:%d/graphql-ws", gatewayPort),
		"--heartbeat-url", "", "--metrics-url", fmt.Sprintf("http://127.0.0.1:%d/metrics", handlerPort),
		"--sample-every", "5",
		"--component", fmt.Sprintf("graphql-endpoint=port:%d", gatewayPort),
		"--component", fmt.Sprintf("command-handler=port:%d", handlerPort))
	runOut, err := cmd.CombinedOutput()
	t.Logf("loadtest run:\n%s", runOut)
	if err != nil {
		t.Fatalf("loadtest run --driver browser: %v", err)
	}
	f, err := result.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if f.Run.Driver != "browser" || f.Run.Versions.Chromium == "" {
		t.Errorf("header: driver %q, chromium %q", f.Run.Driver, f.Run.Versions.Chromium)
	}
	if f.End == nil || f.End.Reason != "max-loops" || len(f.Samples) != 10 {
		t.Fatalf("end %+v after %d samples", f.End, len(f.Samples))
	}
	for _, s := range f.Samples {
		if s.LatencyMS == nil || *s.LatencyMS <= 0 || s.Error != "" || s.Timeout {
			t.Errorf("loop %d (%s): latency %v, time-out %v, error %q", s.Loop, s.Kind, s.LatencyMS, s.Timeout, s.Error)
		}
	}
	if len(f.Resources) != 2 || !f.Resources[0].Components["graphql-endpoint"].Found {
		t.Errorf("resources = %+v", f.Resources)
	}
}
