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
	// offsets reads watermarks and reads and commits group offsets: the
	// calls services make at start and the chaos run makes all along.
	// librdkafka's admin client kills the process when the group coordinator
	// answers "not coordinator" or "coordinator load in progress", as it does
	// on a fresh cluster and when a broker dies and coordinators move
	// (ListConsumerGroupOffsets: SIGSEGV in rd_kafka_cgrp_op on the admin
	// client's missing consumer group, librdkafka issue 5040), and aborted on
	// an assertion (rd_kafka_enq_once_del_source_return) during a broker
	// kill: so these go through franz-go.
	offsets rawAdmin
}

func (librdkafka) newAdmin(cfg KafkaConfig, log *slog.Logger) (rawAdmin, error) {
	m := rdConfig(cfg)
	// An admin client has no log channel and rejects the setting altogether.
	delete(m, "go.logs.channel.enable")
	admin, err := kafka.NewAdminClient(&m)
	if err != nil {
		return nil, fmt.Errorf("create Kafka admin client: %w", err)
	}
	offsets, err := franz{}.newAdmin(cfg, log)
	if err != nil {
		admin.Close()
		return nil, err
	}
	return &rdAdmin{admin: admin, timeout: 30 * time.Second, offsets: offsets}, nil
}

func (a *rdAdmin) close() {
	a.offsets.close()
	a.admin.Close()
}

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
	return rdFirstError(results, err, func(r kafka.TopicResult) kafka.Error { return r.Error })
}

// rdFirstError is err, or else the first error among an admin call's results.
func rdFirstError[R any](results []R, err error, errorOf func(R) kafka.Error) error {
	if err != nil {
		return err
	}
	for _, r := range results {
		if e := errorOf(r); e.Code() != kafka.ErrNoError {
			return e
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
	return rdFirstError(results, err, func(r kafka.ConfigResourceResult) kafka.Error { return r.Error })
}

func (a *rdAdmin) watermarks(ctx context.Context, topic string) (map[int32]Watermarks, error) {
	return a.offsets.watermarks(ctx, topic)
}

func (a *rdAdmin) committed(ctx context.Context, group, topic string) (map[int32]int64, error) {
	return a.offsets.committed(ctx, group, topic)
}

func (a *rdAdmin) commitOffsets(ctx context.Context, group string, next map[TopicPartition]int64) error {
	return a.offsets.commitOffsets(ctx, group, next)
}
