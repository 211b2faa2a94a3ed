package memory

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"openbank/messaging"
)

// consumer is a group member (spec.Topics) or a reader of chosen partitions
// (spec.Assign). A member takes the partitions the group's round robin gives
// it once their previous owner let them go, and lets go of the ones it no
// longer gets after BeforeRevoke, both inside Poll: between batches, as
// franz-go and librdkafka rebalance.
type consumer struct {
	c    *cluster
	spec messaging.ConsumerSpec
	pos  map[messaging.TopicPartition]int64 // next offset to read, per partition owned
}

func (client) NewConsumer(cfg messaging.Config, spec messaging.ConsumerSpec, _ *slog.Logger) (messaging.RawConsumer, error) {
	k := &consumer{c: clusterOf(cfg), spec: spec, pos: map[messaging.TopicPartition]int64{}}
	k.c.mu.Lock()
	defer k.c.mu.Unlock()
	if spec.Assign != nil {
		for tp, o := range spec.Assign {
			t, ok := k.c.topics[tp.Topic]
			if !ok || int(tp.Partition) >= len(t.parts) {
				return nil, ErrUnknownTopic
			}
			switch o {
			case messaging.OffsetBeginning:
				o = 0
			case messaging.OffsetEnd:
				o = int64(len(t.parts[tp.Partition]))
			}
			k.pos[tp] = o
		}
		return k, nil
	}
	if spec.Group == "" {
		return nil, errors.New("a group member needs a group")
	}
	g := k.c.group(spec.Group)
	g.members = append(g.members, k)
	k.c.notify()
	return k, nil
}

// target is the partitions the group's round robin gives k now; c.mu is held.
func (k *consumer) target(g *group) map[messaging.TopicPartition]bool {
	var topics []string
	for _, m := range g.members {
		for _, t := range m.spec.Topics {
			if !slices.Contains(topics, t) {
				topics = append(topics, t)
			}
		}
	}
	mine := map[messaging.TopicPartition]bool{}
	i := slices.Index(g.members, k)
	for n, tp := range k.c.sortedParts(topics) {
		if n%len(g.members) == i && slices.Contains(k.spec.Topics, tp.Topic) {
			mine[tp] = true
		}
	}
	return mine
}

// rebalance lets go of what k no longer gets and takes what it gets and
// nobody holds; c.mu is held, and released around BeforeRevoke.
func (k *consumer) rebalance() {
	if k.spec.Assign != nil {
		return
	}
	g := k.c.group(k.spec.Group)
	mine := k.target(g)
	var revoke []messaging.TopicPartition
	for tp := range k.pos {
		if !mine[tp] {
			revoke = append(revoke, tp)
		}
	}
	if len(revoke) > 0 {
		if k.spec.BeforeRevoke != nil {
			k.c.mu.Unlock()
			k.spec.BeforeRevoke()
			k.c.mu.Lock()
		}
		for _, tp := range revoke {
			delete(k.pos, tp)
			delete(g.owner, tp)
		}
		k.c.notify()
	}
	for tp := range mine {
		if _, held := g.owner[tp]; held {
			continue
		}
		g.owner[tp] = k
		k.pos[tp] = g.committed[tp] // the earliest offset when none is committed
	}
}

func (k *consumer) Poll(ctx context.Context, max int, wait time.Duration) ([]messaging.RawRecord, error) {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		k.c.mu.Lock()
		k.rebalance()
		out := k.take(max)
		changed := k.c.changed
		k.c.mu.Unlock()
		if len(out) > 0 {
			return out, nil
		}
		select {
		case <-changed:
		case <-deadline.C:
			return nil, nil
		case <-ctx.Done():
			return nil, nil
		}
	}
}

// take reads up to max records from the partitions k holds; c.mu is held.
func (k *consumer) take(max int) []messaging.RawRecord {
	var out []messaging.RawRecord
	parts := make([]messaging.TopicPartition, 0, len(k.pos))
	for tp := range k.pos {
		parts = append(parts, tp)
	}
	slices.SortFunc(parts, func(a, b messaging.TopicPartition) int {
		if a.Topic != b.Topic {
			return compare(a.Topic, b.Topic)
		}
		return int(a.Partition - b.Partition)
	})
	for _, tp := range parts {
		t, ok := k.c.topics[tp.Topic]
		if !ok {
			continue
		}
		recs := t.parts[tp.Partition]
		for o := k.pos[tp]; o < int64(len(recs)) && len(out) < max; o++ {
			out = append(out, recs[o])
			k.pos[tp] = o + 1
		}
	}
	return out
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (k *consumer) Commit(_ context.Context, next map[messaging.TopicPartition]int64) error {
	if k.spec.Group == "" {
		return errors.New("a reader without a group cannot commit")
	}
	k.c.mu.Lock()
	defer k.c.mu.Unlock()
	g := k.c.group(k.spec.Group)
	for tp, o := range next {
		g.committed[tp] = o
	}
	return nil
}

func (k *consumer) Lag() (int64, error) {
	k.c.mu.Lock()
	defer k.c.mu.Unlock()
	var lag int64
	for tp, o := range k.pos {
		if t, ok := k.c.topics[tp.Topic]; ok {
			lag += max(0, int64(len(t.parts[tp.Partition]))-o)
		}
	}
	return lag, nil
}

func (k *consumer) AllowRebalance() {}

func (k *consumer) Assignment() ([]messaging.TopicPartition, error) {
	k.c.mu.Lock()
	defer k.c.mu.Unlock()
	out := make([]messaging.TopicPartition, 0, len(k.pos))
	for tp := range k.pos {
		out = append(out, tp)
	}
	return out, nil
}

func (k *consumer) Committed(_ context.Context, parts []messaging.TopicPartition) (map[messaging.TopicPartition]int64, error) {
	k.c.mu.Lock()
	defer k.c.mu.Unlock()
	g := k.c.group(k.spec.Group)
	out := map[messaging.TopicPartition]int64{}
	for _, tp := range parts {
		if o, ok := g.committed[tp]; ok {
			out[tp] = o
		}
	}
	return out, nil
}

// Close leaves the group: its partitions go to the members left.
func (k *consumer) Close() error {
	k.c.mu.Lock()
	defer k.c.mu.Unlock()
	if k.spec.Assign == nil && k.spec.Group != "" {
		g := k.c.group(k.spec.Group)
		g.members = slices.DeleteFunc(g.members, func(m *consumer) bool { return m == k })
		for tp, m := range g.owner {
			if m == k {
				delete(g.owner, tp)
			}
		}
	}
	k.pos = map[messaging.TopicPartition]int64{}
	k.c.notify()
	return nil
}
