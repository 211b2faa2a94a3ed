package messaging_test

import (
	"fmt"
	"testing"
	"time"

	"openbank/messaging"
	"openbank/topology"
	"openbank/topology/records"
)

// readAll reads topic's partition 0 from the beginning to its end watermark.
func (k *fixture) readAll(topic string) []messaging.RawRecord {
	k.t.Helper()
	marks, err := k.admin.Watermarks(k.ctx(30*time.Second), topic)
	if err != nil {
		k.t.Fatal(err)
	}
	tp := messaging.TopicPartition{Topic: topic, Partition: 0}
	r := k.reader(map[messaging.TopicPartition]int64{tp: messaging.OffsetBeginning}, "")
	return k.readUntil(r, time.Minute, func([]messaging.RawRecord) bool {
		next, ok := r.Next(tp)
		return ok && next >= marks[0].High
	})
}

// exactlyInOrder fails unless recs are beats 0..n-1, each once, in order.
func exactlyInOrder(t *testing.T, recs []messaging.RawRecord, n int) {
	t.Helper()
	for i, rec := range recs {
		var hb records.Heartbeat
		if err := hb.Unmarshal(rec.Value[5:]); err != nil {
			t.Fatal(err)
		}
		if hb.Beat != int64(i) {
			t.Fatalf("record %d (offset %d) is beat %d: duplicated, lost or reordered", i, rec.Offset, hb.Beat)
		}
	}
	if len(recs) != n {
		t.Fatalf("%d records arrived, want exactly %d", len(recs), n)
	}
}

// A burst produced with acks=all in one call arrives exactly once, in order;
// it is larger than librdkafka's local queue (100,000 messages by default), so
// enqueueing may have to wait for room on the way.
func testProducerBurst(t *testing.T, k *fixture) {
	const n = 150_000
	topic := k.topic(1)
	k.send(k.producer(), beats(topic, "one", 0, n)...)
	exactlyInOrder(t, k.readAll(topic), n)
}

// A key lands on the partition the Java client would choose (murmur2), so
// every client of the bank, and any other Kafka client, agrees on it.
func testPartitionPerKey(t *testing.T, k *fixture) {
	const partitions, keys = 7, 60
	topic := k.topic(partitions)
	var msgs []messaging.Message
	for i := range keys {
		msgs = append(msgs, messaging.Message{Topic: topic, Key: fmt.Sprintf("NL%02dOPEN%010d", i%100, i*7919),
			Record: &records.Heartbeat{Beat: int64(i)}})
	}
	k.send(k.producer(), msgs...)
	recs := k.readUntil(k.reader(k.partitionsOf(messaging.OffsetBeginning, topic), ""), time.Minute,
		func(r []messaging.RawRecord) bool { return len(r) >= keys })
	used := map[int32]bool{}
	for _, r := range recs {
		want := topology.PartitionOf(r.Key, partitions)
		if r.Partition != want {
			t.Errorf("key %s on partition %d, the Java client puts it on %d", r.Key, r.Partition, want)
		}
		used[r.Partition] = true
	}
	if len(used) < 2 {
		t.Errorf("%d keys all on one partition", keys)
	}
}
