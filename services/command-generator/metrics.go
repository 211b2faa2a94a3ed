package main

import (
	"strings"

	"openbank/kit/metric"
	"openbank/messaging"
	"openbank/services/command-generator/internal/traffic"
)

type metrics struct {
	set      *metric.Set
	commands *metric.Counters[string]
	beats    *metric.Counter
	accounts *metric.Counter
}

// newMetrics registers the generator's metrics on set.
func newMetrics(set *metric.Set, gen *traffic.Generator) *metrics {
	m := &metrics{
		set:      set,
		commands: metric.NewCounters[string](set, "command_generator_commands_total", "Commands sent and acknowledged, by kind.", "kind"),
		beats:    metric.NewCounter(set, "command_generator_heartbeats_total", "Heartbeats turned into commands."),
		accounts: metric.NewCounter(set, "command_generator_account_confirmations_total",
			"AUTO account confirmations read (including the history read at start)."),
	}
	for _, k := range append([]traffic.Kind{traffic.Creation}, traffic.Kinds...) {
		m.commands.With(label(k)) // so every kind shows from the start
	}
	metric.NewGaugeFunc(set, "command_generator_accounts_known",
		"AUTO accounts remembered to draw from (capped by COMMAND_GENERATOR_MAX_ACCOUNTS).",
		func() float64 { return float64(gen.Known()) })
	return m
}

// watchLag exposes how far the heartbeat consumer is behind.
func (m *metrics) watchLag(c *messaging.Consumer) {
	metric.NewGaugeFunc(m.set, "command_generator_heartbeat_lag", "Heartbeats on the topic not yet read.", func() float64 {
		lag, err := c.Lag()
		if err != nil {
			return -1
		}
		return float64(lag)
	})
}

func label(k traffic.Kind) string {
	if k == traffic.Payment {
		return "payment"
	}
	return strings.ReplaceAll(string(k), " ", "_")
}

func (m *metrics) command(k traffic.Kind) { m.commands.With(label(k)).Inc() }
func (m *metrics) heartbeats(n int)       { m.beats.Add(n) }
func (m *metrics) accountSeen()           { m.accounts.Inc() }
