//go:build cgo && !nolibrdkafka

package topology

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

type rdAdmin struct {
	admin   *kafka.AdminClient
	timeout time.Duration
}

func (librdkafka) newAdmin(cfg KafkaConfig, _ *slog.Logger) (rawAdmin, error) {
	m := rdConfig(cfg)
	// An admin client has no log channel and rejects the setting altogether.
	delete(m, "go.logs.channel.enable")
	admin, err := kafka.NewAdminClient(&m)
	if err != nil {
		return nil, fmt.Errorf("create Kafka admin client: %w", err)
	}
	return &rdAdmin{admin: admin, timeout: 30 * time.Second}, nil
}

func (a *rdAdmin) close() { a.admin.Close() }

func (a *rdAdmin) timeoutMs(ctx context.Context) int {
	t := a.timeout
	if d, ok := ctx.Deadline(); ok {
		t = min(t, time.Until(d))
	}
	return max(1, int(t/time.Millisecond))
}

func (a *rdAdmin) brokers(ctx context.Context) (int, error) {
	res, err := a.admin.DescribeCluster(ctx)
	if err != nil {
		return 0, fmt.Errorf("describe cluster: %w", err)
	}
	return len(res.Nodes), nil
}

func (a *rdAdmin) topics(ctx context.Context, configKeys []string) (map[string]TopicState, error) {
	md, err := a.admin.GetMetadata(nil, true, a.timeoutMs(ctx))
	if err != nil {
		return nil, fmt.Errorf("read cluster metadata: %w", err)
	}
	out := map[string]TopicState{}
	var resources []kafka.ConfigResource
	for name, t := range md.Topics {
		if t.Error.Code() != kafka.ErrNoError {
			return nil, fmt.Errorf("metadata of topic %s: %w", name, t.Error)
		}
		rf := 0
		if len(t.Partitions) > 0 {
			rf = len(t.Partitions[0].Replicas)
		}
		out[name] = TopicState{Partitions: len(t.Partitions), ReplicationFactor: rf, Configs: map[string]string{}}
		resources = append(resources, kafka.ConfigResource{Type: kafka.ResourceTopic, Name: name})
	}
	if len(resources) == 0 || len(configKeys) == 0 {
		return out, nil
	}
	results, err := a.admin.DescribeConfigs(ctx, resources)
	if err != nil {
		return nil, fmt.Errorf("describe topic configs: %w", err)
	}
	for _, r := range results {
		if r.Error.Code() != kafka.ErrNoError {
			return nil, fmt.Errorf("configs of topic %s: %w", r.Name, r.Error)
		}
		for _, k := range configKeys {
			if e, ok := r.Config[k]; ok {
				out[r.Name].Configs[k] = e.Value
			}
		}
	}
	return out, nil
}

func rdResults(results []kafka.TopicResult, err error) error {
	if err != nil {
		return err
	}
	for _, r := range results {
		if r.Error.Code() != kafka.ErrNoError {
			return r.Error
		}
	}
	return nil
}

func (a *rdAdmin) createTopic(ctx context.Context, topic string, partitions, rf int, configs map[string]string) error {
	return rdResults(a.admin.CreateTopics(ctx, []kafka.TopicSpecification{{
		Topic: topic, NumPartitions: partitions, ReplicationFactor: rf, Config: configs,
	}}, kafka.SetAdminOperationTimeout(a.timeout)))
}

func (a *rdAdmin) addPartitions(ctx context.Context, topic string, total int) error {
	return rdResults(a.admin.CreatePartitions(ctx, []kafka.PartitionsSpecification{{
		Topic: topic, IncreaseTo: total,
	}}, kafka.SetAdminOperationTimeout(a.timeout)))
}

func (a *rdAdmin) deleteTopic(ctx context.Context, topic string) error {
	return rdResults(a.admin.DeleteTopics(ctx, []string{topic}, kafka.SetAdminOperationTimeout(a.timeout)))
}

func (a *rdAdmin) alterConfigs(ctx context.Context, topic string, configs map[string]string) error {
	entries := make([]kafka.ConfigEntry, 0, len(configs))
	for k, v := range configs {
		entries = append(entries, kafka.ConfigEntry{Name: k, Value: v, IncrementalOperation: kafka.AlterConfigOpTypeSet})
	}
	results, err := a.admin.IncrementalAlterConfigs(ctx, []kafka.ConfigResource{{
		Type: kafka.ResourceTopic, Name: topic, Config: entries,
	}})
	if err != nil {
		return err
	}
	for _, r := range results {
		if r.Error.Code() != kafka.ErrNoError {
			return r.Error
		}
	}
	return nil
}

func (a *rdAdmin) watermarks(ctx context.Context, topic string) (map[int32]Watermarks, error) {
	md, err := a.admin.GetMetadata(&topic, false, a.timeoutMs(ctx))
	if err != nil {
		return nil, err
	}
	t, ok := md.Topics[topic]
	if !ok || t.Error.Code() != kafka.ErrNoError {
		return nil, fmt.Errorf("topic not found: %v", t.Error)
	}
	specs := map[kafka.TopicPartition]kafka.OffsetSpec{}
	out := map[int32]Watermarks{}
	for _, p := range t.Partitions {
		specs[kafka.TopicPartition{Topic: &topic, Partition: p.ID}] = kafka.EarliestOffsetSpec
	}
	for i, spec := range []kafka.OffsetSpec{kafka.EarliestOffsetSpec, kafka.LatestOffsetSpec} {
		for tp := range specs {
			specs[tp] = spec
		}
		res, err := a.admin.ListOffsets(ctx, specs, kafka.SetAdminIsolationLevel(kafka.IsolationLevelReadUncommitted))
		if err != nil {
			return nil, err
		}
		for tp, r := range res.ResultInfos {
			if r.Error.Code() != kafka.ErrNoError {
				return nil, fmt.Errorf("offsets of %s/%d: %w", topic, tp.Partition, r.Error)
			}
			w := out[tp.Partition]
			if i == 0 {
				w.Low = int64(r.Offset)
			} else {
				w.High = int64(r.Offset)
			}
			out[tp.Partition] = w
		}
	}
	return out, nil
}

func (a *rdAdmin) committed(ctx context.Context, group, topic string) (map[int32]int64, error) {
	marks, err := a.watermarks(ctx, topic)
	if err != nil {
		return nil, err
	}
	var parts []kafka.TopicPartition
	for _, p := range sortedPartitions(marks) {
		parts = append(parts, kafka.TopicPartition{Topic: &topic, Partition: p})
	}
	res, err := a.admin.ListConsumerGroupOffsets(ctx, []kafka.ConsumerGroupTopicPartitions{{Group: group, Partitions: parts}},
		kafka.SetAdminRequireStableOffsets(true))
	if err != nil {
		return nil, err
	}
	out := map[int32]int64{}
	for _, g := range res.ConsumerGroupsTopicPartitions {
		for _, tp := range g.Partitions {
			if tp.Error != nil {
				return nil, fmt.Errorf("%s/%d: %w", topic, tp.Partition, tp.Error)
			}
			if tp.Offset >= 0 {
				out[tp.Partition] = int64(tp.Offset)
			}
		}
	}
	return out, nil
}

func (a *rdAdmin) commitOffsets(ctx context.Context, group string, next map[TopicPartition]int64) error {
	var parts []kafka.TopicPartition
	for tp, o := range next {
		topic := tp.Topic
		parts = append(parts, kafka.TopicPartition{Topic: &topic, Partition: tp.Partition, Offset: kafka.Offset(o)})
	}
	res, err := a.admin.AlterConsumerGroupOffsets(ctx, []kafka.ConsumerGroupTopicPartitions{{Group: group, Partitions: parts}})
	if err != nil {
		return err
	}
	for _, g := range res.ConsumerGroupsTopicPartitions {
		for _, tp := range g.Partitions {
			if tp.Error != nil {
				return fmt.Errorf("%s/%d: %w", *tp.Topic, tp.Partition, tp.Error)
			}
		}
	}
	return nil
}
