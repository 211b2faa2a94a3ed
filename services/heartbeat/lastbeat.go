package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"openbank/topology"
	"openbank/topology/records"
)

// lastBeat returns the beat of the last record on the (single-partition)
// heartbeat topic, or -1 when it is empty, so a restarted heartbeat continues
// the count instead of starting again at 0.
func lastBeat(ctx context.Context, cfg topology.KafkaConfig, serde *topology.Serde, log *slog.Logger) (int64, error) {
	conf := cfg.ClientConfig()
	conf["group.id"] = "heartbeat-last-beat" // librdkafka wants one; nothing is committed
	conf["enable.auto.commit"] = false
	kc, err := kafka.NewConsumer(&conf)
	if err != nil {
		return 0, fmt.Errorf("create Kafka consumer: %w", err)
	}
	defer kc.Close()
	topic := topology.TopicHeartbeat
	var low, high int64
	for {
		low, high, err = kc.QueryWatermarkOffsets(topic, 0, 5000)
		if err == nil {
			break
		}
		log.Warn("reading the end of the heartbeat topic failed; retrying", "error", err)
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("read the end of %s: %w", topic, err)
		case <-time.After(time.Second):
		}
	}
	if high <= low {
		return -1, nil
	}
	if err := kc.Assign([]kafka.TopicPartition{{Topic: &topic, Partition: 0, Offset: kafka.Offset(high - 1)}}); err != nil {
		return 0, fmt.Errorf("assign %s: %w", topic, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		m, ok := kc.Poll(200).(*kafka.Message)
		if !ok || m.TopicPartition.Error != nil {
			continue
		}
		rec, err := serde.Decode(topic, m.Value)
		if err != nil {
			return 0, fmt.Errorf("decode the last heartbeat (offset %d): %w", m.TopicPartition.Offset, err)
		}
		hb, ok := rec.(*records.Heartbeat)
		if !ok {
			return 0, fmt.Errorf("the last record on %s is a %s", topic, records.FullName(rec))
		}
		return hb.Beat, nil
	}
	return 0, fmt.Errorf("no record read at offset %d of %s", high-1, topic)
}
