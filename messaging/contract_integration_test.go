//go:build integration

package messaging_test

import (
	"testing"

	"openbank/messaging"
	"openbank/messaging/memory"
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
				t.Run(c.name, func(t *testing.T) { c.run(t, newKit(t, client)) })
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
