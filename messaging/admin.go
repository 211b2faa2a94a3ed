package messaging

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"openbank/kit/retry"
	"openbank/topology"
)

// Admin manages the cluster: topics, their configs, and consumer groups'
// offsets.
type Admin struct {
	raw RawAdmin
	log *slog.Logger
}

// NewAdmin connects an admin client.
func NewAdmin(cfg Config, log *slog.Logger) (*Admin, error) {
	client, err := clientOf(cfg)
	if err != nil {
		return nil, err
	}
	raw, err := client.NewAdmin(cfg, log)
	if err != nil {
		return nil, err
	}
	return &Admin{raw: raw, log: log}, nil
}

// Close closes the admin client.
func (a *Admin) Close() { a.raw.Close() }

// Brokers counts the cluster's brokers.
func (a *Admin) Brokers(ctx context.Context) (int, error) { return a.raw.Brokers(ctx) }

// Topics describes every topic with its partition count, replication factor
// and the values of configKeys.
func (a *Admin) Topics(ctx context.Context, configKeys []string) (map[string]TopicState, error) {
	return a.raw.Topics(ctx, configKeys)
}

// CreateTopic creates topic.
func (a *Admin) CreateTopic(ctx context.Context, topic string, partitions, replicationFactor int, configs map[string]string) error {
	if err := a.raw.CreateTopic(ctx, topic, partitions, replicationFactor, configs); err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	return nil
}

// GrantACLs creates the allow rules acls (topology.ACLs(), say); the admin's
// principal must be a super user. A rule that exists already is kept.
func (a *Admin) GrantACLs(ctx context.Context, acls []topology.ACL) error {
	if err := a.raw.GrantACLs(ctx, acls); err != nil {
		return fmt.Errorf("grant ACLs: %w", err)
	}
	return nil
}

// AddPartitions grows topic to total partitions.
func (a *Admin) AddPartitions(ctx context.Context, topic string, total int) error {
	if err := a.raw.AddPartitions(ctx, topic, total); err != nil {
		return fmt.Errorf("add partitions to %s: %w", topic, err)
	}
	return nil
}

// DeleteTopic deletes topic.
func (a *Admin) DeleteTopic(ctx context.Context, topic string) error {
	if err := a.raw.DeleteTopic(ctx, topic); err != nil {
		return fmt.Errorf("delete topic %s: %w", topic, err)
	}
	return nil
}

// AlterConfigs sets configs of topic, leaving the others as they are.
func (a *Admin) AlterConfigs(ctx context.Context, topic string, configs map[string]string) error {
	if err := a.raw.AlterConfigs(ctx, topic, configs); err != nil {
		return fmt.Errorf("alter configs of %s: %w", topic, err)
	}
	return nil
}

// Watermarks returns every partition of topic with its first offset and the
// offset after its last.
func (a *Admin) Watermarks(ctx context.Context, topic string) (map[int32]Watermarks, error) {
	w, err := a.raw.Watermarks(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("watermarks of %s: %w", topic, err)
	}
	return w, nil
}

// Committed returns group's committed offsets of topic's partitions; a
// partition the group has never committed is missing.
func (a *Admin) Committed(ctx context.Context, group, topic string) (map[int32]int64, error) {
	c, err := a.raw.Committed(ctx, group, topic)
	if err != nil {
		return nil, fmt.Errorf("committed offsets of group %s on %s: %w", group, topic, err)
	}
	return c, nil
}

// CommitOffsets commits next offsets for group, which must have no active
// member (a group that only keeps offsets, or one not started yet).
func (a *Admin) CommitOffsets(ctx context.Context, group string, next map[TopicPartition]int64) error {
	if len(next) == 0 {
		return nil
	}
	if err := a.raw.CommitOffsets(ctx, group, next); err != nil {
		return fmt.Errorf("commit offsets of group %s: %w", group, err)
	}
	return nil
}

// StartFunc says where a partition without a committed offset begins: an
// offset within [low, high], or ok false to leave it to the consumer's reset
// (the beginning).
type StartFunc func(topic string, partition int32, low, high int64) (offset int64, ok bool)

// AtEnd starts at the end: only records produced from now on.
func AtEnd(_ string, _ int32, _, high int64) (int64, bool) { return high, true }

// startGroupWithin bounds how long StartGroup reads again a group's offsets
// that Kafka cannot give yet; past it, the error is the caller's.
const startGroupWithin = time.Minute

// StartGroup commits start's offsets for group's partitions of topics that
// have no committed offset yet, before the group's consumer runs; partitions
// with one are left alone. It chooses where a new group starts: at the end,
// or at a position a service stored itself. While the group still has a
// member (a predecessor killed within its session timeout) it waits.
func (a *Admin) StartGroup(ctx context.Context, group string, topics []string, start StartFunc) error {
	commit := map[TopicPartition]int64{}
	// On a new cluster the group's coordinator may still be loading
	// (COORDINATOR_NOT_AVAILABLE, "not coordinator"): read again for a while.
	err := retry.Do(ctx, a.log, "read the offsets of group "+group, retry.Policy{Within: startGroupWithin}, func() error {
		clear(commit)
		for _, topic := range topics {
			marks, err := a.Watermarks(ctx, topic)
			if err != nil {
				return err
			}
			committed, err := a.Committed(ctx, group, topic)
			if err != nil {
				return err
			}
			for _, p := range slices.Sorted(maps.Keys(marks)) {
				if _, ok := committed[p]; ok {
					continue
				}
				w := marks[p]
				if o, ok := start(topic, p, w.Low, w.High); ok {
					commit[TopicPartition{topic, p}] = min(max(o, w.Low), w.High)
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// A member killed moments ago stays in the group until its session times
	// out, and the broker refuses commits from outside the group until then.
	return retry.Do(ctx, a.log, "place the start of group "+group, retry.Forever, func() error {
		err := a.CommitOffsets(ctx, group, commit)
		if err != nil && !errors.Is(err, ErrGroupHasMembers) {
			return retry.Permanent(err)
		}
		return err
	})
}

// CommitGroupAtEnd commits group's offsets at the current end of every
// partition of topics, so a consumer starting in that group reads only what
// comes later. It retries until ctx ends: on a new cluster the group
// coordinator may still be loading ("Not coordinator").
func CommitGroupAtEnd(ctx context.Context, cfg Config, group string, topics ...string) error {
	log := slog.Default()
	admin, err := NewAdmin(cfg, log)
	if err != nil {
		return err
	}
	defer admin.Close()
	return retry.Do(ctx, log, "commit group "+group+" at the end", retry.Forever, func() error {
		ends := map[TopicPartition]int64{}
		for _, topic := range topics {
			marks, err := admin.Watermarks(ctx, topic)
			if err != nil {
				return err
			}
			for p, w := range marks {
				ends[TopicPartition{topic, p}] = w.High
			}
		}
		return admin.CommitOffsets(ctx, group, ends)
	})
}
