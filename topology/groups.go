package topology

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// CommitGroupAtEnd commits group's offsets at the current end of every
// partition of topics, so a consumer starting in that group reads only what
// comes later. It retries until ctx ends: on a new cluster the group
// coordinator may still be loading ("Not coordinator").
func CommitGroupAtEnd(ctx context.Context, cfg KafkaConfig, group string, topics ...string) error {
	conf := cfg.ClientConfig()
	conf["group.id"] = group
	conf["enable.auto.commit"] = false
	kc, err := kafka.NewConsumer(&conf)
	if err != nil {
		return fmt.Errorf("create Kafka consumer: %w", err)
	}
	defer kc.Close()
	return retry(ctx, slog.Default(), "commit group "+group+" at the end", func() error {
		var parts []kafka.TopicPartition
		for _, topic := range topics {
			md, err := kc.GetMetadata(&topic, false, 10_000)
			if err != nil {
				return fmt.Errorf("metadata of %s: %w", topic, err)
			}
			for _, p := range md.Topics[topic].Partitions {
				_, high, err := kc.QueryWatermarkOffsets(topic, p.ID, 10_000)
				if err != nil {
					return fmt.Errorf("end of %s/%d: %w", topic, p.ID, err)
				}
				parts = append(parts, kafka.TopicPartition{Topic: &topic, Partition: p.ID, Offset: kafka.Offset(high)})
			}
		}
		if _, err := kc.CommitOffsets(parts); err != nil {
			return fmt.Errorf("commit offsets: %w", err)
		}
		return nil
	})
}
