//go:build integration

package topology_test

import (
	"testing"
	"time"

	"openbank/topology"
	"openbank/topology/records"
)

// readAll reads topic's partition 0 from the beginning to its end watermark.
func (k *kit) readAll(topic string) []topology.RawRecord {
	k.t.Helper()
	marks, err := k.admin.Watermarks(k.ctx(30*time.Second), topic)
	if err != nil {
		k.t.Fatal(err)
	}
	tp := topology.TopicPartition{Topic: topic, Partition: 0}
	r := k.reader(map[topology.TopicPartition]int64{tp: topology.OffsetBeginning}, "")
	return k.readUntil(r, time.Minute, func([]topology.RawRecord) bool {
		next, ok := r.Next(tp)
		return ok && next >= marks[0].High
	})
}

// exactlyInOrder fails unless recs are beats 0..n-1, each once, in order.
func exactlyInOrder(t *testing.T, recs []topology.RawRecord, n int) {
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

// A burst produced with acks=all in one call arrives exactly once, in order.
func testProducerBurst(t *testing.T, k *kit) {
	const n = 5000
	topic := k.topic(1)
	k.send(k.producer(), beats(topic, "one", 0, n)...)
	exactlyInOrder(t, k.readAll(topic), n)
}
