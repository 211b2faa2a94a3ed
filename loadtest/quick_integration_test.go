//go:build integration

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"openbank/kit/service"
	"openbank/loadtest/internal/chaos"
	"openbank/loadtest/internal/report"
	"openbank/loadtest/internal/result"
	"openbank/messaging"
	"openbank/messaging/messagingtest"
	"openbank/topology"
)

// TestQuickProfile runs the bank's services and `loadtest run --profile quick`
// with the API driver against the local stack, then `loadtest report`, and
// checks that both produce well-formed files. It asserts nothing about speed.
func TestQuickProfile(t *testing.T) {
	messagingtest.Kafka(t) // fails unless the stack's environment is set
	// The heartbeat topic is shared by every command generator on the stack.
	messagingtest.Exclusive(t, "heartbeat")
	suffix := fmt.Sprintf("%d", time.Now().UnixNano())

	bins := map[string]string{}
	for _, s := range service.Names {
		bins[s] = messagingtest.Build(t, filepath.Join("..", "services", s))
	}
	loadtest := messagingtest.Build(t, ".")

	ports := map[string]int{}
	for _, s := range service.Names {
		ports[s] = messagingtest.FreePort(t)
	}
	start := func(name string, env ...string) {
		svc := messagingtest.Start(t, bins[name], append(env, fmt.Sprintf("HTTP_PORT=%d", ports[name]))...)
		svc.WaitReady(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", ports[name]))
	}
	handlerGroup, gatewayGroup, generatorGroup := "loadtest-it-handler-"+suffix, "loadtest-it-gateway-"+suffix, "loadtest-it-generator-"+suffix
	messagingtest.StartGroupAtEnd(t, handlerGroup, topology.TopicCommands)
	messagingtest.StartGroupAtEnd(t, gatewayGroup+"-transactions", topology.TopicBalanceChanged)
	messagingtest.StartGroupAtEnd(t, gatewayGroup+"-feedback", topology.TopicAccountCreationFeedback, topology.TopicMoneyTransferFeedback)
	messagingtest.StartGroupAtEnd(t, generatorGroup, topology.TopicHeartbeat)
	start("command-handler", "KAFKA_GROUP_ID="+handlerGroup)
	start("graphql-endpoint", append([]string{"KAFKA_GROUP_ID=" + gatewayGroup}, chaos.LoadTestGatewayEnv...)...)
	start("heartbeat")
	start("command-generator", "KAFKA_GROUP_ID="+generatorGroup)

	dir := t.TempDir()
	out := filepath.Join(dir, "quick.jsonl")
	cmd := exec.Command(loadtest, "run", "--profile", "quick", "--driver", "api",
		"--category", "go-it-quick",
		"--output", out,
		"--graphql-url", fmt.Sprintf("ws://127.0.0.1:%d/graphql-ws", ports["graphql-endpoint"]),
		"--heartbeat-url", fmt.Sprintf("http://127.0.0.1:%d", ports["heartbeat"]),
		"--metrics-url", fmt.Sprintf("http://127.0.0.1:%d/metrics", ports["command-handler"]),
		"--generator-url", fmt.Sprintf("http://127.0.0.1:%d", ports["command-generator"]),
		"--extra-clients", "2", "--extra-client-rate", "5",
	)
	runOut, err := cmd.CombinedOutput()
	t.Logf("loadtest run:\n%s", runOut)
	if err != nil {
		t.Fatalf("loadtest run: %v", err)
	}

	f, err := result.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if f.Run.Category != "go-it-quick" || f.Run.Driver != "api" || f.Run.Profile != "quick" {
		t.Errorf("header = %+v", f.Run)
	}
	if f.Run.Machine.NProc < 1 || f.Run.Machine.MemoryMiB < 1 || f.Run.Versions.Go == "" {
		t.Errorf("machine/versions missing: %+v %+v", f.Run.Machine, f.Run.Versions)
	}
	if f.Run.HistoryCommands == nil {
		t.Error("the header does not say how many commands the bank held")
	}
	// What the services run with, as they say it themselves (bank_build_info).
	if h := f.Run.Services["command-handler"]; h["kafka_client"] == "" || h["kafka_linger_ms"] == "" || h["go_version"] == "" {
		t.Errorf("the command handler's build info in the header = %v (all: %v)", h, f.Run.Services)
	}
	var cfg map[string]any
	if err := json.Unmarshal(f.Run.Config, &cfg); err != nil || cfg["min_loop_time"] != "200ms" || cfg["sample_every"] != float64(20) {
		t.Errorf("config in header = %v (%v)", cfg, err)
	}
	if f.End == nil {
		t.Fatal("no end line")
	}
	switch f.End.Reason {
	case "max-loops", "max-duration", "timeouts":
	default:
		t.Fatalf("run ended with %q", f.End.Reason)
	}
	if len(f.Samples) != f.End.Loops || len(f.Samples) < 20 {
		t.Fatalf("%d samples for %d loops", len(f.Samples), f.End.Loops)
	}
	measured := 0
	loads := map[float64]bool{}
	for i, s := range f.Samples {
		if s.Loop != i+1 || (s.Kind != "deposit" && s.Kind != "transfer") {
			t.Errorf("sample %d: %+v", i, s)
		}
		loads[s.AdditionalLoad] = true
		if s.LatencyMS != nil {
			measured++
			if *s.LatencyMS <= 0 || s.FeedbackMS == nil || *s.FeedbackMS <= 0 {
				t.Errorf("sample %d: latency %v feedback %v", s.Loop, *s.LatencyMS, s.FeedbackMS)
			}
		}
	}
	if measured < len(f.Samples)/2 {
		t.Errorf("only %d of %d interactions measured", measured, len(f.Samples))
	}
	if len(loads) < 2 {
		t.Errorf("the additional load never rose: %v", loads)
	}
	if len(f.Resources) < 1 {
		t.Fatal("no resources lines")
	}
	r := f.Resources[len(f.Resources)-1]
	for _, c := range []string{"command-handler", "graphql-endpoint", "heartbeat", "command-generator", "kafka", "postgres"} {
		if comp, ok := r.Components[c]; !ok || !comp.Found || comp.RSSMiB <= 0 {
			t.Errorf("component %s: %+v (found in map: %v)", c, comp, ok)
		}
	}
	if r.HeartbeatBeat == nil || *r.HeartbeatBeat <= 0 {
		t.Errorf("heartbeat beat = %v", r.HeartbeatBeat)
	}
	if r.ConsumerLag == nil || r.GeneratorLag == nil {
		t.Errorf("consumer lag %v, generator lag %v", r.ConsumerLag, r.GeneratorLag)
	}
	if r.ExtraClientOps == nil || *r.ExtraClientOps <= 0 {
		t.Errorf("extra clients did nothing: %v", r.ExtraClientOps)
	}

	repDir := filepath.Join(dir, "report")
	repOut, err := exec.Command(loadtest, "report", "--out", repDir, "--category", "go-*=go", filepath.Join(dir, "*.jsonl")).CombinedOutput()
	t.Logf("loadtest report:\n%s", repOut)
	if err != nil {
		t.Fatalf("loadtest report: %v", err)
	}
	page, err := os.ReadFile(filepath.Join(repDir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "<svg") || !strings.Contains(string(page), "graphql-endpoint") {
		t.Error("report.html has no charts or no components")
	}
	raw, err := os.ReadFile(filepath.Join(repDir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res report.Results
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Categories) != 1 || res.Categories[0].Name != "go" || len(res.Categories[0].Loads) < 2 {
		t.Fatalf("results.json categories = %+v", res.Categories)
	}
	if l := res.Categories[0].Loads[0]; l.Latency.N == 0 || l.Latency.P99 < l.Latency.P50 || l.Feedback == nil {
		t.Errorf("first load = %+v", l)
	}
	raw, err = os.ReadFile(filepath.Join(repDir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var front []report.FrontendCategory
	if err := json.Unmarshal(raw, &front); err != nil {
		t.Fatal(err)
	}
	if len(front) != 1 || front[0].Category != "go" || len(front[0].Runs) == 0 || front[0].Runs[0].P99 <= 0 ||
		len(front[0].Runs[0].CPU) == 0 || len(front[0].Runs[0].Mem) == 0 {
		t.Errorf("results.json (frontend) = %s", raw)
	}
	if !strings.Contains(string(repOut), "go") {
		t.Error("no summary table")
	}

	// loadtest history on the same services: 300 more commands, written by the bank itself.
	before := commandsOnTopic(t)
	histOut, err := exec.Command(loadtest, "history", "--commands", fmt.Sprint(before+300), "--every", "1s",
		"--start-rate", "100", "--max-rate", "400",
		"--heartbeat-url", fmt.Sprintf("http://127.0.0.1:%d", ports["heartbeat"]),
		"--metrics-url", fmt.Sprintf("http://127.0.0.1:%d/metrics", ports["command-handler"]),
	).CombinedOutput()
	t.Logf("loadtest history:\n%s", histOut)
	if err != nil {
		t.Fatalf("loadtest history: %v", err)
	}
	if after := commandsOnTopic(t); after < before+300 {
		t.Errorf("commands on the topic: %d before, %d after; want at least 300 more", before, after)
	}
}

// commandsOnTopic is the sum of the commands topic's end offsets.
func commandsOnTopic(t *testing.T) int64 {
	t.Helper()
	admin, err := messaging.NewAdmin(messagingtest.Kafka(t), messagingtest.Log(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := historySize(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
