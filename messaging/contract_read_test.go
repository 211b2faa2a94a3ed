package messaging_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"openbank/messaging"
	"openbank/messaging/messagingtest"
	"openbank/topology/records"
)

// firstHandled runs a group consumer until it handled one batch and returns
// that batch's first record.
func (k *fixture) firstHandled(group, topic string) messaging.Delivery {
	k.t.Helper()
	h := newHandled()
	r := k.consume(messaging.ConsumerOptions{Group: group, Topics: []string{topic}},
		nil, func(_ context.Context, b []messaging.Delivery) error { h.add(b); return nil })
	first := h.waitFor(k.t, 1, time.Minute)[0]
	r.close(k.t)
	return first
}

// Where a group consumer starts: a new group at the earliest record, a group
// with a committed offset there; StartGroup positions a group without one at
// the end or where a StartFunc says, and leaves committed ones alone.
func testGroupStart(t *testing.T, k *fixture) {
	topic := k.topic(1)
	p := k.producer()
	k.send(p, beats(topic, "one", 0, 10)...)
	ctx := k.ctx(2 * time.Minute)
	tp := messaging.TopicPartition{Topic: topic, Partition: 0}

	if d := k.firstHandled(k.name("new"), topic); d.Offset != 0 {
		t.Errorf("a new group starts at %d, want the earliest, 0", d.Offset)
	}

	committed := k.name("committed")
	if err := k.admin.CommitOffsets(ctx, committed, map[messaging.TopicPartition]int64{tp: 4}); err != nil {
		t.Fatal(err)
	}
	if d := k.firstHandled(committed, topic); d.Offset != 4 {
		t.Errorf("a group committed at 4 starts at %d", d.Offset)
	}

	atEnd, stored := k.name("at-end"), k.name("stored")
	if err := k.admin.StartGroup(ctx, atEnd, []string{topic}, messaging.AtEnd); err != nil {
		t.Fatal(err)
	}
	var asked [3]int64
	if err := k.admin.StartGroup(ctx, stored, []string{topic}, func(top string, part int32, low, high int64) (int64, bool) {
		asked = [3]int64{int64(part), low, high}
		return 7, true
	}); err != nil {
		t.Fatal(err)
	}
	if asked != [3]int64{0, 0, 10} {
		t.Errorf("StartFunc asked with partition, low, high %v, want [0 0 10]", asked)
	}
	// Already committed: StartGroup must not move them.
	kept := k.name("kept")
	if err := k.admin.CommitOffsets(ctx, kept, map[messaging.TopicPartition]int64{tp: 3}); err != nil {
		t.Fatal(err)
	}
	if err := k.admin.StartGroup(ctx, kept, []string{topic}, messaging.AtEnd); err != nil {
		t.Fatal(err)
	}
	beyond := k.name("beyond")
	if err := k.admin.StartGroup(ctx, beyond, []string{topic}, func(string, int32, int64, int64) (int64, bool) { return 99, true }); err != nil {
		t.Fatal(err)
	}
	for group, want := range map[string]int64{atEnd: 10, stored: 7, beyond: 10, kept: 3} {
		c, err := k.admin.Committed(ctx, group, topic)
		if err != nil {
			t.Fatal(err)
		}
		if c[0] != want {
			t.Errorf("group %s committed %v after StartGroup, want partition 0 at %d", group, c, want)
		}
	}

	k.send(p, beats(topic, "one", 10, 12)...)
	if d := k.firstHandled(atEnd, topic); d.Offset != 10 || beatOf(d) != 10 {
		t.Errorf("a group started at the end first handles offset %d, want 10", d.Offset)
	}
	if d := k.firstHandled(stored, topic); d.Offset != 7 {
		t.Errorf("a group started at a stored 7 first handles offset %d", d.Offset)
	}
}

// Where a Reader starts: the beginning, an explicit offset, the end; with a
// group it commits where its owner says.
func testReaderStart(t *testing.T, k *fixture) {
	topic := k.topic(1)
	tp := messaging.TopicPartition{Topic: topic, Partition: 0}
	p := k.producer()
	k.send(p, beats(topic, "one", 0, 10)...)
	one := func(r []messaging.RawRecord) bool { return len(r) > 0 }

	if got := k.readUntil(k.reader(map[messaging.TopicPartition]int64{tp: messaging.OffsetBeginning}, ""), time.Minute, one); got[0].Offset != 0 {
		t.Errorf("from the beginning: first offset %d", got[0].Offset)
	}
	group := k.name("reader")
	at7 := k.reader(map[messaging.TopicPartition]int64{tp: 7}, group)
	got := k.readUntil(at7, time.Minute, func(r []messaging.RawRecord) bool { return len(r) >= 3 })
	if got[0].Offset != 7 || len(got) != 3 {
		t.Errorf("from 7: %d records from %d, want 3 from 7", len(got), got[0].Offset)
	}
	if next, ok := at7.Next(tp); !ok || next != 10 {
		t.Errorf("Next after reading to 9 is %d %v, want 10", next, ok)
	}
	if err := at7.Commit(k.ctx(30*time.Second), map[messaging.TopicPartition]int64{tp: 10}); err != nil {
		t.Fatal(err)
	}
	if c, err := k.admin.Committed(k.ctx(30*time.Second), group, topic); err != nil || c[0] != 10 {
		t.Errorf("reader's group committed %v (%v), want partition 0 at 10", c, err)
	}

	// An explicit offset at the end waits there for the next record (a
	// position a service stored), never falling back to the beginning.
	atHigh := k.reader(map[messaging.TopicPartition]int64{tp: 10}, "")
	if recs, err := atHigh.Poll(k.ctx(time.Minute), 10, 500*time.Millisecond); err != nil || len(recs) > 0 {
		t.Fatalf("a reader at the end offset 10 read %d records (%v) before any was produced", len(recs), err)
	}
	k.send(p, beats(topic, "one", 10, 11)...)
	if got := k.readUntil(atHigh, time.Minute, one); got[0].Offset != 10 {
		t.Errorf("a reader at the end offset 10 first read offset %d", got[0].Offset)
	}

	// The end is resolved when the reader starts fetching, which the API does
	// not report: produce until the reader sees something, which must be new.
	atEnd := k.reader(map[messaging.TopicPartition]int64{tp: messaging.OffsetEnd}, "")
	if _, ok := atEnd.Next(tp); ok {
		t.Error("Next is known before the first record of a reader at the end")
	}
	ctx := k.ctx(time.Minute)
	for i := 11; ; i++ {
		k.send(p, beats(topic, "one", i, i+1)...)
		recs, err := atEnd.Poll(ctx, 10, 200*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) > 0 {
			if recs[0].Offset < 11 {
				t.Errorf("a reader at the end read old offset %d", recs[0].Offset)
			}
			break
		}
		if ctx.Err() != nil {
			t.Fatal("a reader at the end read nothing new within a minute")
		}
	}
}

// A Reader from Admin.Partitions reads every partition to its end watermark.
func testReadToEnd(t *testing.T, k *fixture) {
	const n = 600
	topic := k.topic(4)
	k.send(k.producer(), beats(topic, "", 0, n)...)
	marks, err := k.admin.Watermarks(k.ctx(30*time.Second), topic)
	if err != nil {
		t.Fatal(err)
	}
	for tp, o := range k.partitionsOf(messaging.OffsetEnd, topic) {
		if o != marks[tp.Partition].High {
			t.Errorf("Partitions at the end gives %s at %d, want its end watermark %d", tp, o, marks[tp.Partition].High)
		}
	}
	r := k.reader(k.partitionsOf(messaging.OffsetBeginning, topic), "")
	atEnd := func([]messaging.RawRecord) bool {
		for p, w := range marks {
			next, ok := r.Next(messaging.TopicPartition{Topic: topic, Partition: p})
			if w.High > 0 && (!ok || next < w.High) {
				return false
			}
		}
		return true
	}
	got := k.readUntil(r, time.Minute, atEnd)
	seen := map[int64]bool{}
	for _, rec := range got {
		var hb records.Heartbeat
		if err := hb.Unmarshal(rec.Value[5:]); err != nil {
			t.Fatal(err)
		}
		seen[hb.Beat] = true
	}
	if len(got) != n || len(seen) != n {
		t.Fatalf("read %d records (%d distinct) to the end, want %d", len(got), len(seen), n)
	}
}

// LastRecord returns a partition's last record, and nil for an empty one.
func testLastRecord(t *testing.T, k *fixture) {
	topic := k.topic(3)
	k.send(k.producer(), beats(topic, "one key", 0, 5)...) // one key: one partition
	marks, err := k.admin.Watermarks(k.ctx(30*time.Second), topic)
	if err != nil {
		t.Fatal(err)
	}
	log := messagingtest.Log(t)
	for p, w := range marks {
		last, err := messaging.LastRecord(k.ctx(time.Minute), k.cfg, topic, p, log)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case w.High == 0 && last != nil:
			t.Errorf("partition %d is empty, LastRecord gave offset %d", p, last.Offset)
		case w.High == 5 && (last == nil || last.Offset != 4 || string(last.Key) != "one key"):
			t.Errorf("partition %d: LastRecord %+v, want offset 4", p, last)
		case w.High != 0 && w.High != 5:
			t.Errorf("partition %d holds %d records; one key should put all 5 on one partition", p, w.High)
		}
	}
	if _, err := messaging.LastRecord(k.ctx(time.Minute), k.cfg, topic, 9, log); err == nil {
		t.Error("LastRecord of a partition that does not exist: no error")
	}
}

// The admin calls: create, describe, add partitions, alter configs, delete.
func testAdmin(t *testing.T, k *fixture) {
	ctx := k.ctx(2 * time.Minute)
	topic := k.name("admin")
	keys := []string{"retention.ms", "cleanup.policy"}
	if n, err := k.admin.Brokers(ctx); err != nil || n < 1 {
		t.Fatalf("Brokers: %d, %v", n, err)
	}
	if err := k.admin.CreateTopic(ctx, topic, 2, 1, map[string]string{"retention.ms": "3600000"}); err != nil {
		t.Fatal(err)
	}
	deleted := false
	t.Cleanup(func() {
		if !deleted {
			_ = k.admin.DeleteTopic(context.Background(), topic)
		}
	})
	if err := k.admin.CreateTopic(ctx, topic, 2, 1, nil); err == nil {
		t.Error("creating an existing topic: no error")
	}
	state := func(want messaging.TopicState) {
		t.Helper()
		k.eventually(30*time.Second, "topic state", func() error {
			all, err := k.admin.Topics(ctx, keys)
			if err != nil {
				return err
			}
			got, ok := all[topic]
			if !ok {
				return fmt.Errorf("%s not listed", topic)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				return fmt.Errorf("%+v, want %+v", got, want)
			}
			return nil
		})
	}
	state(messaging.TopicState{Partitions: 2, ReplicationFactor: 1,
		Configs: map[string]string{"retention.ms": "3600000", "cleanup.policy": "delete"}})

	if err := k.admin.AddPartitions(ctx, topic, 5); err != nil {
		t.Fatal(err)
	}
	if err := k.admin.AlterConfigs(ctx, topic, map[string]string{"retention.ms": "7200000"}); err != nil {
		t.Fatal(err)
	}
	state(messaging.TopicState{Partitions: 5, ReplicationFactor: 1,
		Configs: map[string]string{"retention.ms": "7200000", "cleanup.policy": "delete"}})
	k.eventually(30*time.Second, "watermarks of 5 partitions", func() error {
		marks, err := k.admin.Watermarks(ctx, topic)
		if err == nil && len(marks) != 5 {
			err = fmt.Errorf("%d partitions", len(marks))
		}
		return err
	})
	if err := k.admin.AlterConfigs(ctx, topic, map[string]string{"no.such.config": "1"}); err == nil {
		t.Error("altering an unknown config: no error")
	}

	if err := k.admin.DeleteTopic(ctx, topic); err != nil {
		t.Fatal(err)
	}
	deleted = true
	k.eventually(30*time.Second, "topic gone", func() error {
		all, err := k.admin.Topics(ctx, nil)
		if err != nil {
			return err
		}
		if _, ok := all[topic]; ok {
			return fmt.Errorf("%s still listed", topic)
		}
		return nil
	})
	if err := k.admin.DeleteTopic(ctx, topic); err == nil {
		t.Error("deleting a deleted topic: no error")
	}
	if _, err := k.admin.Watermarks(ctx, topic); err == nil {
		t.Error("watermarks of a deleted topic: no error")
	}
}
