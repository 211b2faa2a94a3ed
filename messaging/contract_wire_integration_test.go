//go:build integration

package messaging_test

import (
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"openbank/messaging"
	"openbank/messaging/messagingtest"
)

// Batches produced with every codec of KAFKA_COMPRESSION read back exactly,
// and the broker keeps the codec it was given (the topic's compression.type is
// "producer"), which shows the setting reached the client.
func testCompressions(t *testing.T, k *fixture) {
	const n = 200
	for _, codec := range messaging.Compressions() {
		topic := k.topic(1)
		cfg := k.cfg
		cfg.Compression = codec
		p, err := messaging.NewProducer(cfg, k.serde, messagingtest.Log(t))
		if err != nil {
			t.Fatal(err)
		}
		k.send(p, beats(topic, "one", 0, n)...)
		p.Close()
		exactlyInOrder(t, k.readAll(topic), n)
		if got := storedCodec(t, k, topic); got != codec {
			t.Errorf("KAFKA_COMPRESSION=%s: the broker holds batches compressed with %s", codec, got)
		}
	}
}

// storedCodec is the compression of the first batch of topic's partition 0,
// read with franz-go, which shows each record's batch attributes.
func storedCodec(t *testing.T, k *fixture, topic string) string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(k.cfg.Brokers, ",")...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	fetches := cl.PollRecords(k.ctx(30*time.Second), 1)
	if err := fetches.Err(); err != nil {
		t.Fatal(err)
	}
	recs := fetches.Records()
	if len(recs) == 0 {
		t.Fatalf("no record read back from %s", topic)
	}
	return map[uint8]string{0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}[recs[0].Attrs.CompressionType()]
}
