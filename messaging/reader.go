package messaging

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Reader reads chosen partitions from chosen offsets, without group
// membership: a consumer that must see every partition (rebuilding state, a
// test's tail) or one record (the last of a topic). Its optional group only
// keeps offsets that the reader commits itself.
type Reader struct {
	raw  RawConsumer
	next map[TopicPartition]int64
}

// NewReader reads the partitions of start, each from its offset (or
// OffsetBeginning, OffsetEnd). group may be empty when nothing is committed.
func NewReader(cfg Config, start map[TopicPartition]int64, group string, log *slog.Logger) (*Reader, error) {
	client, err := clientOf(cfg)
	if err != nil {
		return nil, err
	}
	raw, err := client.NewConsumer(cfg, ConsumerSpec{Group: group, Assign: start, MaxBufferedBytes: 1 << 20}, log)
	if err != nil {
		return nil, err
	}
	next := map[TopicPartition]int64{}
	for tp, o := range start {
		if o >= 0 {
			next[tp] = o
		}
	}
	return &Reader{raw: raw, next: next}, nil
}

// Poll waits up to wait for records and returns at most max, without
// waiting for more once one is there.
func (r *Reader) Poll(ctx context.Context, max int, wait time.Duration) ([]RawRecord, error) {
	recs, err := r.raw.Poll(ctx, max, wait)
	for _, m := range recs {
		r.next[TopicPartition{m.Topic, m.Partition}] = m.Offset + 1
	}
	return recs, err
}

// PollBatch gathers up to max records, waiting up to 100 ms for the first
// and at most batchWait after it for more.
func (r *Reader) PollBatch(ctx context.Context, max int, batchWait time.Duration) ([]RawRecord, error) {
	recs, err := pollBatch(ctx, r.raw, max, batchWait)
	for _, m := range recs {
		r.next[TopicPartition{m.Topic, m.Partition}] = m.Offset + 1
	}
	return recs, err
}

// Next is the offset after the last record read from tp, and false before
// the first when tp started at OffsetBeginning or OffsetEnd.
func (r *Reader) Next(tp TopicPartition) (int64, bool) {
	o, ok := r.next[tp]
	return o, ok
}

// Commit commits next offsets for the reader's group.
func (r *Reader) Commit(ctx context.Context, next map[TopicPartition]int64) error {
	if len(next) == 0 {
		return nil
	}
	if err := r.raw.Commit(ctx, next); err != nil {
		return fmt.Errorf("commit offsets: %w", err)
	}
	return nil
}

// Close closes the reader.
func (r *Reader) Close() error {
	if err := r.raw.Close(); err != nil {
		return fmt.Errorf("close Kafka reader: %w", err)
	}
	return nil
}

// Partitions returns every partition of topics, each starting at from
// (OffsetBeginning, OffsetEnd or an offset), ready for NewReader.
func (a *Admin) Partitions(ctx context.Context, from int64, topics ...string) (map[TopicPartition]int64, error) {
	start := map[TopicPartition]int64{}
	for _, topic := range topics {
		marks, err := a.Watermarks(ctx, topic)
		if err != nil {
			return nil, err
		}
		if len(marks) == 0 {
			return nil, fmt.Errorf("topic %s has no partitions (the synchronizer creates it)", topic)
		}
		for p, w := range marks {
			o := from
			if from == OffsetEnd {
				o = w.High // a fixed end, so nothing produced meanwhile is missed
			}
			start[TopicPartition{topic, p}] = o
		}
	}
	return start, nil
}

// LastRecord returns the last record of one partition of topic, or nil when
// the partition is empty.
func LastRecord(ctx context.Context, cfg Config, topic string, partition int32, log *slog.Logger) (*RawRecord, error) {
	admin, err := NewAdmin(cfg, log)
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	marks, err := admin.Watermarks(ctx, topic)
	if err != nil {
		return nil, err
	}
	w, ok := marks[partition]
	if !ok {
		return nil, fmt.Errorf("topic %s has no partition %d", topic, partition)
	}
	if w.High <= w.Low {
		return nil, nil
	}
	tp := TopicPartition{topic, partition}
	r, err := NewReader(cfg, map[TopicPartition]int64{tp: w.High - 1}, "", log)
	if err != nil {
		return nil, err
	}
	defer func() { _ = r.Close() }()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var last *RawRecord
	for ctx.Err() == nil {
		recs, err := r.Poll(ctx, 100, 200*time.Millisecond)
		if err != nil {
			return nil, err
		}
		for i := range recs {
			last = &recs[i]
		}
		if last != nil && last.Offset >= w.High-1 {
			return last, nil
		}
	}
	if last != nil {
		return last, nil
	}
	return nil, fmt.Errorf("no record read at offset %d of %s: %w", w.High-1, tp, ctx.Err())
}
