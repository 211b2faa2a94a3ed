//go:build cgo && !nolibrdkafka

package librdkafka

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"openbank/messaging"
	"openbank/topology"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

type rdAdmin struct {
	admin   *kafka.AdminClient
	timeout time.Duration
	// offsets reads watermarks and reads and commits group offsets with
	// librdkafka consumers (offsets.go), not the admin client.
	offsets *rdOffsets
}

func (librdkafka) NewAdmin(cfg messaging.Config, log *slog.Logger) (messaging.RawAdmin, error) {
	m := rdConfig(cfg)
	// An admin client has no log channel and rejects the setting altogether.
	delete(m, "go.logs.channel.enable")
	admin, err := kafka.NewAdminClient(&m)
	if err != nil {
		return nil, fmt.Errorf("create Kafka admin client: %w", err)
	}
	timeout := 30 * time.Second
	return &rdAdmin{admin: admin, timeout: timeout, offsets: newOffsets(cfg, timeout, log)}, nil
}

func (a *rdAdmin) Close() {
	a.offsets.Close()
	a.admin.Close()
}

func (a *rdAdmin) timeoutMs(ctx context.Context) int {
	t := a.timeout
	if d, ok := ctx.Deadline(); ok {
		t = min(t, time.Until(d))
	}
	return max(1, int(t/time.Millisecond))
}

func (a *rdAdmin) Brokers(ctx context.Context) (int, error) {
	res, err := a.admin.DescribeCluster(ctx)
	if err != nil {
		return 0, fmt.Errorf("describe cluster: %w", err)
	}
	return len(res.Nodes), nil
}

func (a *rdAdmin) Topics(ctx context.Context, configKeys []string) (map[string]messaging.TopicState, error) {
	md, err := a.admin.GetMetadata(nil, true, a.timeoutMs(ctx))
	if err != nil {
		return nil, fmt.Errorf("read cluster metadata: %w", err)
	}
	out := map[string]messaging.TopicState{}
	var resources []kafka.ConfigResource
	for name, t := range md.Topics {
		if t.Error.Code() != kafka.ErrNoError {
			return nil, fmt.Errorf("metadata of topic %s: %w", name, t.Error)
		}
		rf := 0
		if len(t.Partitions) > 0 {
			rf = len(t.Partitions[0].Replicas)
		}
		out[name] = messaging.TopicState{Partitions: len(t.Partitions), ReplicationFactor: rf, Configs: map[string]string{}}
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

func (a *rdAdmin) CreateTopic(ctx context.Context, topic string, partitions, rf int, configs map[string]string) error {
	return rdResults(a.admin.CreateTopics(ctx, []kafka.TopicSpecification{{
		Topic: topic, NumPartitions: partitions, ReplicationFactor: rf, Config: configs,
	}}, kafka.SetAdminOperationTimeout(a.timeout)))
}

func (a *rdAdmin) AddPartitions(ctx context.Context, topic string, total int) error {
	return rdResults(a.admin.CreatePartitions(ctx, []kafka.PartitionsSpecification{{
		Topic: topic, IncreaseTo: total,
	}}, kafka.SetAdminOperationTimeout(a.timeout)))
}

func (a *rdAdmin) DeleteTopic(ctx context.Context, topic string) error {
	return rdResults(a.admin.DeleteTopics(ctx, []string{topic}, kafka.SetAdminOperationTimeout(a.timeout)))
}

func (a *rdAdmin) AlterConfigs(ctx context.Context, topic string, configs map[string]string) error {
	entries := make([]kafka.ConfigEntry, 0, len(configs))
	for k, v := range configs {
		entries = append(entries, kafka.ConfigEntry{Name: k, Value: v, IncrementalOperation: kafka.AlterConfigOpTypeSet})
	}
	results, err := a.admin.IncrementalAlterConfigs(ctx, []kafka.ConfigResource{{
		Type: kafka.ResourceTopic, Name: topic, Config: entries,
	}})
	return rdFirstError(results, err, func(r kafka.ConfigResourceResult) kafka.Error { return r.Error })
}

func (a *rdAdmin) Watermarks(ctx context.Context, topic string) (map[int32]messaging.Watermarks, error) {
	return a.offsets.Watermarks(ctx, topic)
}

func (a *rdAdmin) Committed(ctx context.Context, group, topic string) (map[int32]int64, error) {
	return a.offsets.Committed(ctx, group, topic)
}

func (a *rdAdmin) CommitOffsets(ctx context.Context, group string, next map[messaging.TopicPartition]int64) error {
	return a.offsets.CommitOffsets(ctx, group, next)
}

var rdOperations = map[topology.Operation]kafka.ACLOperation{
	topology.OpRead: kafka.ACLOperationRead, topology.OpWrite: kafka.ACLOperationWrite,
	topology.OpDescribe: kafka.ACLOperationDescribe, topology.OpCreate: kafka.ACLOperationCreate,
	topology.OpDelete: kafka.ACLOperationDelete, topology.OpAlter: kafka.ACLOperationAlter,
	topology.OpDescribeConfigs: kafka.ACLOperationDescribeConfigs, topology.OpAlterConfigs: kafka.ACLOperationAlterConfigs,
}

func (a *rdAdmin) GrantACLs(ctx context.Context, acls []topology.ACL) error {
	var bindings kafka.ACLBindings
	for _, acl := range acls {
		b := kafka.ACLBinding{Type: kafka.ResourceTopic, Name: acl.Name, ResourcePatternType: kafka.ResourcePatternTypeLiteral,
			Principal: "User:" + acl.Principal, Host: "*", PermissionType: kafka.ACLPermissionTypeAllow}
		if acl.Kind == topology.ResourceGroup {
			b.Type = kafka.ResourceGroup
		}
		if acl.Prefixed {
			b.ResourcePatternType = kafka.ResourcePatternTypePrefixed
		}
		for _, o := range acl.Operations {
			op, ok := rdOperations[o]
			if !ok {
				return fmt.Errorf("no Kafka operation %q", o)
			}
			b.Operation = op
			bindings = append(bindings, b)
		}
	}
	results, err := a.admin.CreateACLs(ctx, bindings)
	if err != nil {
		return err
	}
	for i, r := range results {
		if r.Error.Code() != kafka.ErrNoError {
			return fmt.Errorf("%s %v on %s: %w", bindings[i].Principal, bindings[i].Operation, bindings[i].Name, r.Error)
		}
	}
	return nil
}
