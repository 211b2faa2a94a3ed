//go:build cgo && !nolibrdkafka

package librdkafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"openbank/messaging"
)

// rdOffsets reads watermarks and reads and commits group offsets (the calls
// services make at start and the chaos run makes all along) with librdkafka
// consumers that never join their group. librdkafka's admin client is not
// used for these: it kills the process when the group coordinator answers
// "not coordinator" or "coordinator load in progress", as it does on a fresh
// cluster and when a broker dies and coordinators move
// (ListConsumerGroupOffsets: SIGSEGV in rd_kafka_cgrp_op on the admin
// client's missing consumer group, librdkafka issue 5040).
type rdOffsets struct {
	cfg     messaging.Config
	timeout time.Duration
	log     *slog.Logger
	mu      sync.Mutex
	byGroup map[string]*kafka.Consumer // one per group, made on first use
}

// watermarkGroup names the consumer that only reads watermarks: librdkafka
// wants a group, and this one never commits.
const watermarkGroup = "open-bank-offsets"

func newOffsets(cfg messaging.Config, timeout time.Duration, log *slog.Logger) *rdOffsets {
	return &rdOffsets{cfg: cfg, timeout: timeout, log: log, byGroup: map[string]*kafka.Consumer{}}
}

// consumer returns the consumer of group, making it on first use.
func (o *rdOffsets) consumer(group string) (*kafka.Consumer, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if kc, ok := o.byGroup[group]; ok {
		return kc, nil
	}
	m := rdConfig(o.cfg)
	m["group.id"] = group
	m["enable.auto.commit"] = false
	m["enable.auto.offset.store"] = false
	kc, err := kafka.NewConsumer(&m)
	if err != nil {
		return nil, fmt.Errorf("create Kafka consumer for the offsets of group %s: %w", group, err)
	}
	go drainLogs(kc.Logs(), o.log)
	o.byGroup[group] = kc
	return kc, nil
}

func (o *rdOffsets) timeoutMs(ctx context.Context) int {
	t := o.timeout
	if d, ok := ctx.Deadline(); ok {
		t = min(t, time.Until(d))
	}
	return max(1, int(t/time.Millisecond))
}

// partitions lists topic's partitions as librdkafka names them.
func (o *rdOffsets) partitions(ctx context.Context, kc *kafka.Consumer, topic string) ([]kafka.TopicPartition, error) {
	md, err := kc.GetMetadata(&topic, false, o.timeoutMs(ctx))
	if err != nil {
		return nil, fmt.Errorf("metadata of topic %s: %w", topic, err)
	}
	t, ok := md.Topics[topic]
	if !ok || t.Error.Code() == kafka.ErrUnknownTopicOrPart || len(t.Partitions) == 0 {
		return nil, errors.New("topic not found")
	}
	if t.Error.Code() != kafka.ErrNoError {
		return nil, fmt.Errorf("metadata of topic %s: %w", topic, t.Error)
	}
	parts := make([]kafka.TopicPartition, 0, len(t.Partitions))
	for _, p := range t.Partitions {
		parts = append(parts, kafka.TopicPartition{Topic: &topic, Partition: p.ID})
	}
	return parts, nil
}

func (o *rdOffsets) Watermarks(ctx context.Context, topic string) (map[int32]messaging.Watermarks, error) {
	kc, err := o.consumer(watermarkGroup)
	if err != nil {
		return nil, err
	}
	parts, err := o.partitions(ctx, kc, topic)
	if err != nil {
		return nil, err
	}
	out := make(map[int32]messaging.Watermarks, len(parts))
	for _, p := range parts {
		low, high, err := kc.QueryWatermarkOffsets(topic, p.Partition, o.timeoutMs(ctx))
		if err != nil {
			return nil, fmt.Errorf("watermarks of partition %d: %w", p.Partition, err)
		}
		out[p.Partition] = messaging.Watermarks{Low: low, High: high}
	}
	return out, nil
}

func (o *rdOffsets) Committed(ctx context.Context, group, topic string) (map[int32]int64, error) {
	kc, err := o.consumer(group)
	if err != nil {
		return nil, err
	}
	parts, err := o.partitions(ctx, kc, topic)
	if err != nil {
		return nil, err
	}
	got, err := kc.Committed(parts, o.timeoutMs(ctx))
	if err != nil {
		return nil, err
	}
	out := map[int32]int64{}
	for _, p := range got {
		if p.Error != nil {
			return nil, fmt.Errorf("partition %d: %w", p.Partition, p.Error)
		}
		if p.Offset >= 0 {
			out[p.Partition] = int64(p.Offset)
		}
	}
	return out, nil
}

func (o *rdOffsets) CommitOffsets(_ context.Context, group string, next map[messaging.TopicPartition]int64) error {
	kc, err := o.consumer(group)
	if err != nil {
		return err
	}
	offsets := make([]kafka.TopicPartition, 0, len(next))
	for tp, off := range next {
		topic := tp.Topic
		offsets = append(offsets, kafka.TopicPartition{Topic: &topic, Partition: tp.Partition, Offset: kafka.Offset(off)})
	}
	got, err := kc.CommitOffsets(offsets)
	if err == nil {
		for _, p := range got {
			if p.Error != nil {
				err = p.Error
				break
			}
		}
	}
	var ke kafka.Error
	if errors.As(err, &ke) {
		switch ke.Code() {
		case kafka.ErrUnknownMemberID, kafka.ErrIllegalGeneration, kafka.ErrRebalanceInProgress:
			return fmt.Errorf("%w: %w", messaging.ErrGroupHasMembers, err)
		}
	}
	return err
}

// Close closes every consumer it made; none is a group member, so none waits
// for a rebalance.
func (o *rdOffsets) Close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for group, kc := range o.byGroup {
		if err := kc.Close(); err != nil {
			o.log.Warn("close offsets consumer", "group", group, "error", err)
		}
	}
	o.byGroup = map[string]*kafka.Consumer{}
}
