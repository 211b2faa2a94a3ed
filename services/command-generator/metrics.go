package main

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"openbank/messaging"
	"openbank/services/command-generator/internal/traffic"
)

type metrics struct {
	reg      *prometheus.Registry
	commands *prometheus.CounterVec
	beats    prometheus.Counter
	accounts prometheus.Counter
}

// newMetrics registers the generator's metrics in reg.
func newMetrics(reg *prometheus.Registry, gen *traffic.Generator) *metrics {
	m := &metrics{
		reg: reg,
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "command_generator_commands_total",
			Help: "Commands sent and acknowledged, by kind."}, []string{"kind"}),
		beats: prometheus.NewCounter(prometheus.CounterOpts{Name: "command_generator_heartbeats_total",
			Help: "Heartbeats turned into commands."}),
		accounts: prometheus.NewCounter(prometheus.CounterOpts{Name: "command_generator_account_confirmations_total",
			Help: "AUTO account confirmations read (including the history read at start)."}),
	}
	for _, k := range append([]traffic.Kind{traffic.Creation}, traffic.Kinds...) {
		m.commands.WithLabelValues(label(k)) // so every kind shows from the start
	}
	reg.MustRegister(m.commands, m.beats, m.accounts,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "command_generator_accounts_known",
			Help: "AUTO accounts remembered to draw from (capped by COMMAND_GENERATOR_MAX_ACCOUNTS)."},
			func() float64 { return float64(gen.Known()) }))
	return m
}

// watchLag exposes how far the heartbeat consumer is behind.
func (m *metrics) watchLag(c *messaging.Consumer) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "command_generator_heartbeat_lag",
		Help: "Heartbeats on the topic not yet read."}, func() float64 {
		lag, err := c.Lag()
		if err != nil {
			return -1
		}
		return float64(lag)
	}))
}

func label(k traffic.Kind) string {
	if k == traffic.Payment {
		return "payment"
	}
	return strings.ReplaceAll(string(k), " ", "_")
}

func (m *metrics) command(k traffic.Kind) { m.commands.WithLabelValues(label(k)).Inc() }
func (m *metrics) heartbeats(n int)       { m.beats.Add(float64(n)) }
func (m *metrics) accountSeen()           { m.accounts.Inc() }
