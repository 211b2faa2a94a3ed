//go:build integration

package messaging_test

import (
	"log/slog"
	"testing"

	"github.com/riferrei/srclient"

	"openbank/messaging"
	"openbank/messaging/memory"
	"openbank/messaging/messagingtest"
	"openbank/topology/serde"
)

// TestContract runs every case, and the ones only a real broker can show
// (rebalancing between processes, compression on the wire, a disturbed
// connection, TLS), once per Kafka client built into this binary.
func TestContract(t *testing.T) {
	cases := append(contractCases,
		contractCase{"Rebalance", testRebalance, true},
		contractCase{"Compressions", testCompressions, true},
		contractCase{"ProducerDisturbed", testProducerDisturbed, true},
		contractCase{"TLS", testTLS, true},
	)
	clients := realClients()
	if len(clients) < 2 {
		t.Logf("only %v built in (cgo off?): librdkafka is not tested", clients)
	}
	for _, client := range clients {
		t.Run(client, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) { c.run(t, newFixture(t, client)) })
			}
		})
	}
}

// realClients are the Kafka client libraries built in, without the
// in-process one.
func realClients() []string {
	var clients []string
	for _, c := range messaging.Clients() {
		if c != memory.Name {
			clients = append(clients, c)
		}
	}
	return clients
}

// newFixture is a fixture for client on the stack of deploy/test-stack.sh.
func newFixture(t *testing.T, client string) *fixture {
	cfg := messagingtest.Kafka(t)
	cfg.Client = client
	cfg.ClientID = "contract-" + client
	registry := serde.NewRegistry(cfg.Registry())
	return newFixtureWith(t, cfg, serde.NewSerde(registry), func(subject, schema string) error {
		_, err := registry.CreateSchema(subject, schema, srclient.Avro)
		return err
	})
}

// consumeLogged is consume without a dead-letter topic, logging to log.
func (k *fixture) consumeLogged(opts messaging.ConsumerOptions, log *slog.Logger, handle messaging.Handler) *running {
	k.t.Helper()
	return k.run(opts, nil, log, handle)
}
