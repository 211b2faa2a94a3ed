package memory

import (
	"context"
	"fmt"
	"log/slog"
	"maps"

	"openbank/messaging"
	"openbank/topology"
)

// brokerDefaults are what a topic reports for settings it was not given, as
// Apache Kafka's defaults.
var brokerDefaults = map[string]string{
	"cleanup.policy":      "delete",
	"retention.ms":        "604800000",
	"min.insync.replicas": "1",
	"compression.type":    "producer",
}

// topicConfigs are the topic-level settings Apache Kafka knows; others are refused.
var topicConfigs = map[string]bool{
	"cleanup.policy": true, "compression.type": true, "delete.retention.ms": true, "file.delete.delay.ms": true,
	"flush.messages": true, "flush.ms": true, "index.interval.bytes": true, "max.compaction.lag.ms": true,
	"max.message.bytes": true, "message.timestamp.type": true, "min.cleanable.dirty.ratio": true,
	"min.compaction.lag.ms": true, "min.insync.replicas": true, "preallocate": true, "retention.bytes": true,
	"retention.ms": true, "segment.bytes": true, "segment.index.bytes": true, "segment.jitter.ms": true,
	"segment.ms": true, "unclean.leader.election.enable": true,
}

// unknownConfig names the first setting Kafka would not know, or "".
func unknownConfig(configs map[string]string) string {
	for k := range configs {
		if !topicConfigs[k] {
			return k
		}
	}
	return ""
}

// admin manages the topics and group offsets of one in-process cluster.
type admin struct{ c *cluster }

func (client) NewAdmin(cfg messaging.Config, _ *slog.Logger) (messaging.RawAdmin, error) {
	return &admin{c: clusterOf(cfg)}, nil
}

func (a *admin) Brokers(context.Context) (int, error) { return 1, nil }

func (a *admin) Topics(_ context.Context, configKeys []string) (map[string]messaging.TopicState, error) {
	a.c.mu.Lock()
	defer a.c.mu.Unlock()
	out := map[string]messaging.TopicState{}
	for name, t := range a.c.topics {
		configs := map[string]string{}
		for _, k := range configKeys {
			if v, ok := t.configs[k]; ok {
				configs[k] = v
			} else if v, ok := brokerDefaults[k]; ok {
				configs[k] = v
			}
		}
		out[name] = messaging.TopicState{Partitions: len(t.parts), ReplicationFactor: t.rf, Configs: configs}
	}
	return out, nil
}

func (a *admin) CreateTopic(_ context.Context, name string, partitions, rf int, configs map[string]string) error {
	a.c.mu.Lock()
	defer a.c.mu.Unlock()
	if _, ok := a.c.topics[name]; ok {
		return fmt.Errorf("topic %s already exists", name)
	}
	if k := unknownConfig(configs); k != "" {
		return fmt.Errorf("topic %s: unknown config %s", name, k)
	}
	if partitions < 1 {
		return fmt.Errorf("topic %s: want at least one partition", name)
	}
	a.c.topics[name] = &topic{parts: make([][]messaging.RawRecord, partitions), rf: rf, configs: maps.Clone(configs)}
	a.c.notify()
	return nil
}

func (a *admin) AddPartitions(_ context.Context, name string, total int) error {
	a.c.mu.Lock()
	defer a.c.mu.Unlock()
	t, ok := a.c.topics[name]
	if !ok {
		return ErrUnknownTopic
	}
	if total < len(t.parts) {
		return fmt.Errorf("topic %s has %d partitions; it cannot shrink to %d", name, len(t.parts), total)
	}
	t.parts = append(t.parts, make([][]messaging.RawRecord, total-len(t.parts))...)
	a.c.notify()
	return nil
}

func (a *admin) DeleteTopic(_ context.Context, name string) error {
	a.c.mu.Lock()
	defer a.c.mu.Unlock()
	if _, ok := a.c.topics[name]; !ok {
		return ErrUnknownTopic
	}
	delete(a.c.topics, name)
	a.c.notify()
	return nil
}

func (a *admin) AlterConfigs(_ context.Context, name string, configs map[string]string) error {
	a.c.mu.Lock()
	defer a.c.mu.Unlock()
	t, ok := a.c.topics[name]
	if !ok {
		return ErrUnknownTopic
	}
	if k := unknownConfig(configs); k != "" {
		return fmt.Errorf("topic %s: unknown config %s", name, k)
	}
	if t.configs == nil {
		t.configs = map[string]string{}
	}
	maps.Copy(t.configs, configs)
	return nil
}

func (a *admin) Watermarks(_ context.Context, name string) (map[int32]messaging.Watermarks, error) {
	a.c.mu.Lock()
	defer a.c.mu.Unlock()
	t, ok := a.c.topics[name]
	if !ok {
		return nil, fmt.Errorf("topic not found: %w", ErrUnknownTopic)
	}
	out := make(map[int32]messaging.Watermarks, len(t.parts))
	for p, recs := range t.parts {
		out[int32(p)] = messaging.Watermarks{Low: 0, High: int64(len(recs))}
	}
	return out, nil
}

func (a *admin) Committed(_ context.Context, group, name string) (map[int32]int64, error) {
	a.c.mu.Lock()
	defer a.c.mu.Unlock()
	out := map[int32]int64{}
	for tp, o := range a.c.group(group).committed {
		if tp.Topic == name {
			out[tp.Partition] = o
		}
	}
	return out, nil
}

func (a *admin) CommitOffsets(_ context.Context, group string, next map[messaging.TopicPartition]int64) error {
	a.c.mu.Lock()
	defer a.c.mu.Unlock()
	g := a.c.group(group)
	if len(g.members) > 0 {
		return fmt.Errorf("commit offsets of group %s: %w", group, messaging.ErrGroupHasMembers)
	}
	maps.Copy(g.committed, next)
	return nil
}

func (a *admin) Close() {}

// GrantACLs keeps nothing: the in-process cluster authorizes everyone.
func (a *admin) GrantACLs(context.Context, []topology.ACL) error { return nil }
