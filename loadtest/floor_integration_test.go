//go:build integration

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"openbank/kit/procstat"
	"openbank/kit/stats"
	"openbank/loadtest/internal/report"
	"openbank/loadtest/internal/result"
	"openbank/messaging"
	"openbank/messaging/messagingtest"
)

// TestFloorMeasuresPacedAndIdle runs `loadtest floor` on the stack with few
// samples and checks that it measured every client and PostgreSQL at both
// paces, in time and CPU, the bare client's and bare service's memory per client, and that a report sets a
// category beside both floors. It asserts nothing about speed.
func TestFloorMeasuresPacedAndIdle(t *testing.T) {
	messagingtest.Kafka(t) // fails unless the stack's environment is set
	loadtest := messagingtest.BuildWithEveryClient(t, ".")
	out := filepath.Join(t.TempDir(), "floor.json")
	cmd := exec.Command(loadtest, "floor", "--warmup", "50", "--records", "40", "--commits", "40",
		"--spread", "8", "--batches", "20", "--idle-interval", "20ms", "--idle-samples", "20", "--bare-client-settle", "1s", "--out", out)
	cmd.Stderr = os.Stderr
	if b, err := cmd.Output(); err != nil {
		t.Fatalf("loadtest floor: %v\n%s", err, b)
	}
	f, err := result.ReadFloor(out)
	if err != nil {
		t.Fatal(err)
	}
	if f.Idle == nil {
		t.Fatal("no idle floor in floor.json")
	}
	measured := func(what string, s stats.Summary, n int) {
		t.Helper()
		if s.N != n || s.P50 <= 0 || s.P99 < s.P50 {
			t.Errorf("%s: %+v, want %d samples with 0 < p50 <= p99", what, s, n)
		}
	}
	if f.IntervalMS != 5 || f.Idle.IntervalMS != 20 {
		t.Errorf("intervals %v ms and %v ms, want 5 and 20", f.IntervalMS, f.Idle.IntervalMS)
	}
	for _, client := range messaging.Clients() {
		k, idle := f.Kafka[client], f.Idle.Kafka[client]
		// The first tenth of the round trips pay for connections: not counted.
		measured(client+" round trip", k.RoundTrip, 36)
		measured(client+" acknowledged", k.Acknowledged, 36)
		measured(client+" idle round trip", idle.RoundTrip, 18)
		if k.SpreadBatch == nil || k.SpreadSize != 8 {
			t.Errorf("%s: spread batch %+v of %d, want batches of 8", client, k.SpreadBatch, k.SpreadSize)
		} else {
			measured(client+" spread batch", *k.SpreadBatch, 18)
		}
	}
	for _, client := range messaging.Clients() {
		// The bare programs' memory is read from their /proc status: all three parts are there.
		for program, mem := range map[string]map[string]procstat.Memory{"client": f.BareClient, "service": f.BareService} {
			if m, ok := mem[client]; !ok || m.Anon <= 0 || m.File <= 0 || m.RSS < m.Anon+m.File-0.1 {
				t.Errorf("%s: bare %s memory %+v (measured: %v), want RSS = anonymous + file-backed > 0", client, program, m, ok)
			}
		}
		// The service links and starts more than the client alone.
		if c, s := f.BareClient[client], f.BareService[client]; s.File <= c.File {
			t.Errorf("%s: the bare service maps %.1f MiB of its binary, the bare client %.1f: want more", client, s.File, c.File)
		}
	}
	measured("commit", f.PostgresCommit, 40)
	measured("idle commit", f.Idle.PostgresCommit, 20)
	for _, client := range messaging.Clients() {
		k := f.Kafka[client]
		if k.RoundTripCPU <= 0 || k.SpreadBatchCPU <= 0 || f.Idle.Kafka[client].RoundTripCPU <= 0 {
			t.Errorf("%s: CPU per round trip %v µs, per spread batch %v µs, idle %v µs; want each measured",
				client, k.RoundTripCPU, k.SpreadBatchCPU, f.Idle.Kafka[client].RoundTripCPU)
		}
	}
	for want, p := range map[int]result.Paced{40: f.Paced, 20: *f.Idle} {
		if p.WakeUp == nil || p.WakeUp.N != want || p.WakeUpCPU <= 0 {
			t.Errorf("wake-ups every %v ms: %+v, %v µs CPU each; want %d measured", p.IntervalMS, p.WakeUp, p.WakeUpCPU, want)
		}
	}
	if f.PostgresCommitCPU <= 0 || f.Idle.PostgresCommitCPU <= 0 {
		t.Errorf("CPU per commit %v µs, idle %v µs; want both measured", f.PostgresCommitCPU, f.Idle.PostgresCommitCPU)
	}

	ratios := report.FloorRatios(report.Results{Categories: []report.Category{
		{Name: "api-noload", Loads: []report.Load{{Latency: stats.Summary{P50: 10, P99: 20}}}},
	}}, f)
	if len(ratios) != 1 || ratios[0].Idle == nil || ratios[0].Idle.FloorP50 <= 0 || ratios[0].FloorP50 <= 0 {
		t.Fatalf("floor ratios %+v", ratios)
	}
}
