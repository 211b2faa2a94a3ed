// Package adapters connects the synchronizer to a real Kafka cluster and
// schema registry.
package adapters

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"openbank/services/synchronizer/internal/sync"
	"openbank/topology"
)

// Cluster is a Kafka cluster reached through the admin API.
type Cluster struct {
	admin   *kafka.AdminClient
	timeout time.Duration
}

// NewCluster connects an admin client.
func NewCluster(cfg topology.KafkaConfig) (*Cluster, error) {
	conf := cfg.ClientConfig()
	admin, err := kafka.NewAdminClient(&conf)
	if err != nil {
		return nil, fmt.Errorf("create Kafka admin client: %w", err)
	}
	return &Cluster{admin: admin, timeout: 30 * time.Second}, nil
}

// Close closes the admin client.
func (c *Cluster) Close() { c.admin.Close() }

// Brokers counts the cluster's brokers.
func (c *Cluster) Brokers(ctx context.Context) (int, error) {
	res, err := c.admin.DescribeCluster(ctx)
	if err != nil {
		return 0, fmt.Errorf("describe cluster: %w", err)
	}
	return len(res.Nodes), nil
}

// Topics describes every topic with its partition count, replication factor
// and the values of configKeys.
func (c *Cluster) Topics(ctx context.Context, configKeys []string) (map[string]sync.TopicState, error) {
	md, err := c.admin.GetMetadata(nil, true, int(c.timeout/time.Millisecond))
	if err != nil {
		return nil, fmt.Errorf("read cluster metadata: %w", err)
	}
	out := map[string]sync.TopicState{}
	var resources []kafka.ConfigResource
	for name, t := range md.Topics {
		if t.Error.Code() != kafka.ErrNoError {
			return nil, fmt.Errorf("metadata of topic %s: %w", name, t.Error)
		}
		rf := 0
		if len(t.Partitions) > 0 {
			rf = len(t.Partitions[0].Replicas)
		}
		out[name] = sync.TopicState{Partitions: len(t.Partitions), ReplicationFactor: rf, Configs: map[string]string{}}
		resources = append(resources, kafka.ConfigResource{Type: kafka.ResourceTopic, Name: name})
	}
	if len(resources) == 0 {
		return out, nil
	}
	results, err := c.admin.DescribeConfigs(ctx, resources)
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

// Apply carries out one planned action.
func (c *Cluster) Apply(ctx context.Context, a sync.Action) error {
	var results []kafka.TopicResult
	var err error
	switch a.Kind {
	case sync.CreateTopic:
		results, err = c.admin.CreateTopics(ctx, []kafka.TopicSpecification{{
			Topic: a.Topic, NumPartitions: a.Partitions, ReplicationFactor: a.ReplicationFactor, Config: a.Configs,
		}}, kafka.SetAdminOperationTimeout(c.timeout))
	case sync.AddPartitions:
		results, err = c.admin.CreatePartitions(ctx, []kafka.PartitionsSpecification{{
			Topic: a.Topic, IncreaseTo: a.Partitions,
		}}, kafka.SetAdminOperationTimeout(c.timeout))
	case sync.DeleteTopic:
		results, err = c.admin.DeleteTopics(ctx, []string{a.Topic}, kafka.SetAdminOperationTimeout(c.timeout))
	case sync.AlterConfigs:
		return c.alterConfigs(ctx, a)
	default:
		return fmt.Errorf("nothing to apply for %q", a.Kind)
	}
	if err != nil {
		return err
	}
	for _, r := range results {
		if r.Error.Code() != kafka.ErrNoError {
			return r.Error
		}
	}
	return c.awaitMetadata(ctx, a)
}

// awaitMetadata waits until the cluster's metadata shows the change, so what
// starts after the synchronizer finds its topics.
func (c *Cluster) awaitMetadata(ctx context.Context, a sync.Action) error {
	return waitUntil(ctx, c.timeout, func(context.Context) error {
		md, err := c.admin.GetMetadata(&a.Topic, false, 5000)
		if err != nil {
			return err
		}
		t, ok := md.Topics[a.Topic]
		gone := !ok || t.Error.Code() == kafka.ErrUnknownTopicOrPart
		switch {
		case a.Kind == sync.DeleteTopic && !gone:
			return fmt.Errorf("topic %s still listed", a.Topic)
		case a.Kind != sync.DeleteTopic && (gone || len(t.Partitions) < a.Partitions):
			return fmt.Errorf("topic %s not yet listed with %d partitions", a.Topic, a.Partitions)
		}
		return nil
	})
}

func (c *Cluster) alterConfigs(ctx context.Context, a sync.Action) error {
	entries := make([]kafka.ConfigEntry, 0, len(a.Configs))
	for k, v := range a.Configs {
		entries = append(entries, kafka.ConfigEntry{Name: k, Value: v, IncrementalOperation: kafka.AlterConfigOpTypeSet})
	}
	results, err := c.admin.IncrementalAlterConfigs(ctx, []kafka.ConfigResource{{
		Type: kafka.ResourceTopic, Name: a.Topic, Config: entries,
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

// WaitForBrokers polls the cluster until it answers or timeout passes.
func (c *Cluster) WaitForBrokers(ctx context.Context, timeout time.Duration) error {
	return waitUntil(ctx, timeout, func(ctx context.Context) error {
		n, err := c.Brokers(ctx)
		if err == nil && n == 0 {
			err = errors.New("no brokers in the cluster")
		}
		return err
	})
}

// waitUntil retries probe once a second until it succeeds or timeout passes,
// returning the last error then.
func waitUntil(ctx context.Context, timeout time.Duration, probe func(context.Context) error) error {
	deadline := time.Now().Add(timeout)
	for attempt := 1; ; attempt++ {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := probe(pctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("not answering after %s (%d tries): %w", timeout, attempt, err)
		}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
		}
	}
}

var _ sync.Cluster = (*Cluster)(nil)
