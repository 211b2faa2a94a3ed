// Package adapters connects the synchronizer to a real Kafka cluster and
// schema registry.
package adapters

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"openbank/kit/retry"
	"openbank/messaging"
	"openbank/services/synchronizer/internal/reconcile"
)

// Cluster is a Kafka cluster reached through topology's admin client.
type Cluster struct {
	admin   *messaging.Admin
	timeout time.Duration
}

// NewCluster connects an admin client.
func NewCluster(cfg messaging.Config, log *slog.Logger) (*Cluster, error) {
	admin, err := messaging.NewAdmin(cfg, log)
	if err != nil {
		return nil, err
	}
	return &Cluster{admin: admin, timeout: 30 * time.Second}, nil
}

// Close closes the admin client.
func (c *Cluster) Close() { c.admin.Close() }

// Brokers counts the cluster's brokers.
func (c *Cluster) Brokers(ctx context.Context) (int, error) { return c.admin.Brokers(ctx) }

// Topics describes every topic with its partition count, replication factor
// and the values of configKeys.
func (c *Cluster) Topics(ctx context.Context, configKeys []string) (map[string]reconcile.TopicState, error) {
	return c.admin.Topics(ctx, configKeys)
}

// Apply carries out one planned action.
func (c *Cluster) Apply(ctx context.Context, a reconcile.Action) error {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var err error
	switch a.Kind {
	case reconcile.CreateTopic:
		err = c.admin.CreateTopic(actx, a.Topic, a.Partitions, a.ReplicationFactor, a.Configs)
	case reconcile.AddPartitions:
		err = c.admin.AddPartitions(actx, a.Topic, a.Partitions)
	case reconcile.DeleteTopic:
		err = c.admin.DeleteTopic(actx, a.Topic)
	case reconcile.AlterConfigs:
		return c.admin.AlterConfigs(actx, a.Topic, a.Configs)
	default:
		return fmt.Errorf("nothing to apply for %q", a.Kind)
	}
	if err != nil {
		return err
	}
	return c.awaitMetadata(ctx, a)
}

// awaitMetadata waits until the cluster's metadata shows the change, so what
// starts after the synchronizer finds its topics.
func (c *Cluster) awaitMetadata(ctx context.Context, a reconcile.Action) error {
	return waitUntil(ctx, c.timeout, func(ctx context.Context) error {
		topics, err := c.admin.Topics(ctx, nil)
		if err != nil {
			return err
		}
		t, listed := topics[a.Topic]
		switch {
		case a.Kind == reconcile.DeleteTopic && listed:
			return fmt.Errorf("topic %s still listed", a.Topic)
		case a.Kind != reconcile.DeleteTopic && (!listed || t.Partitions < a.Partitions):
			return fmt.Errorf("topic %s not yet listed with %d partitions", a.Topic, a.Partitions)
		}
		return nil
	})
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
	return retry.Do(ctx, slog.Default(), "wait for the cluster", retry.Policy{Initial: time.Second, Max: time.Second, Within: timeout},
		func() error {
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			return probe(pctx)
		})
}

var _ reconcile.Cluster = (*Cluster)(nil)
