package main

import (
	"math/rand/v2"
	"testing"

	"openbank/kit/metric"
	"openbank/kit/metric/metrictest"
	"openbank/services/command-generator/internal/traffic"
)

// TestMetrics: every kind shows from the start, at 0, and counts by its label.
func TestMetrics(t *testing.T) {
	set := metric.NewSet()
	m := newMetrics(set, traffic.New(rand.New(rand.NewPCG(1, 2)), traffic.NewAccounts(10), "token"))
	m.command(traffic.Payment)
	m.heartbeats(3)
	read := metrictest.Read(t, set)
	kinds := read.Labels("command_generator_commands_total")
	if len(kinds) != 1+len(traffic.Kinds) {
		t.Errorf("kinds %v", kinds)
	}
	if v := read.Value("command_generator_commands_total", "kind", "payment"); v != 1 {
		t.Errorf("payments %g", v)
	}
	if v := read.Value("command_generator_commands_total", "kind", "account_creation"); v != 0 {
		t.Errorf("account creations %g", v)
	}
	if v := read.Value("command_generator_heartbeats_total"); v != 3 {
		t.Errorf("heartbeats %g", v)
	}
	if _, ok := read.Sum("command_generator_accounts_known"); !ok {
		t.Error("no command_generator_accounts_known")
	}
}
