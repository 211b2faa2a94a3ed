// Package kafkastart chooses where a consumer group that has never committed
// starts, before its consumer runs: librdkafka's auto.offset.reset knows only
// "earliest" or "latest", resolved at some later assignment.
package kafkastart

import (
	"fmt"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"openbank/topology"
)

// Start says where a partition without a committed offset begins: an offset
// within [low, high], or ok false to leave it to auto.offset.reset.
type Start func(topic string, partition int32, low, high int64) (offset int64, ok bool)

// AtEnd starts at the end: only records produced from now on.
func AtEnd(_ string, _ int32, _, high int64) (int64, bool) { return high, true }

// CommitStart commits start's offsets for group's partitions of topics that
// have no committed offset yet; partitions with one are left alone.
func CommitStart(cfg topology.KafkaConfig, group string, topics []string, start Start) error {
	conf := cfg.ClientConfig()
	conf["group.id"] = group
	conf["enable.auto.commit"] = false
	kc, err := kafka.NewConsumer(&conf)
	if err != nil {
		return fmt.Errorf("create Kafka client: %w", err)
	}
	defer kc.Close()
	const timeoutMs = 10_000
	var all []kafka.TopicPartition
	for _, topic := range topics {
		md, err := kc.GetMetadata(&topic, false, timeoutMs)
		if err != nil {
			return fmt.Errorf("metadata of %s: %w", topic, err)
		}
		for _, p := range md.Topics[topic].Partitions {
			all = append(all, kafka.TopicPartition{Topic: &topic, Partition: p.ID})
		}
	}
	committed, err := kc.Committed(all, timeoutMs)
	if err != nil {
		return fmt.Errorf("committed offsets of %s: %w", group, err)
	}
	var commit []kafka.TopicPartition
	for _, tp := range committed {
		if tp.Offset >= 0 {
			continue
		}
		low, high, err := kc.QueryWatermarkOffsets(*tp.Topic, tp.Partition, timeoutMs)
		if err != nil {
			return fmt.Errorf("watermarks of %s/%d: %w", *tp.Topic, tp.Partition, err)
		}
		if o, ok := start(*tp.Topic, tp.Partition, low, high); ok {
			tp.Offset = kafka.Offset(min(max(o, low), high))
			commit = append(commit, tp)
		}
	}
	if len(commit) == 0 {
		return nil
	}
	if _, err := kc.CommitOffsets(commit); err != nil {
		return fmt.Errorf("commit start offsets of %s: %w", group, err)
	}
	return nil
}
