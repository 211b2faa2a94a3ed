// Package memory is a Kafka in the test's own process: topics with
// partitions and offsets, keys spread as Kafka's default partitioner does,
// consumer groups that share partitions and keep committed offsets, and an
// admin side. Importing it registers it as KAFKA_CLIENT=memory; clusters are
// told apart by KAFKA_BROKERS, so each test can have its own.
//
// It is for unit tests, the broker-less half of the contract suite and
// runnable examples. It is not a broker: nothing is replicated, stored on
// disk or sent over a network, TLS and SASL settings are ignored (there is no
// one to authenticate to), and no service links it.
package memory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"openbank/messaging"
	"openbank/topology"
)

// Name is the KAFKA_CLIENT value of this client.
const Name = "memory"

func init() { messaging.Register(Name, client{}) }

// ErrUnknownTopic: a record was sent to, or a topic asked about, that does not exist.
var ErrUnknownTopic = errors.New("unknown topic")

type client struct{}

// clusters are the in-process clusters, by KAFKA_BROKERS.
var clusters sync.Map // string -> *cluster

func clusterOf(cfg messaging.Config) *cluster {
	c, _ := clusters.LoadOrStore(cfg.Brokers, &cluster{
		topics: map[string]*topic{}, groups: map[string]*group{}, changed: make(chan struct{}),
	})
	return c.(*cluster)
}

// cluster is one in-process Kafka.
type cluster struct {
	mu     sync.Mutex
	topics map[string]*topic
	groups map[string]*group
	// changed is closed, and replaced, whenever a record arrives or a group
	// changes, to wake the consumers waiting in Poll.
	changed chan struct{}
	next    int // round robin of records without a key
}

type topic struct {
	parts   [][]messaging.RawRecord // offset = index
	rf      int
	configs map[string]string
}

// group is a consumer group: its committed offsets, its members, and which
// member owns each partition now.
type group struct {
	committed map[messaging.TopicPartition]int64
	members   []*consumer // in the order they joined
	owner     map[messaging.TopicPartition]*consumer
}

// notify wakes every waiting consumer; c.mu is held.
func (c *cluster) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}

func (c *cluster) group(name string) *group {
	g, ok := c.groups[name]
	if !ok {
		g = &group{committed: map[messaging.TopicPartition]int64{}, owner: map[messaging.TopicPartition]*consumer{}}
		c.groups[name] = g
	}
	return g
}

// partitionFor is the partition Kafka's default partitioner picks
// (topology.PartitionOf), or spread when there is no key.
func (c *cluster) partitionFor(key []byte, partitions int) int32 {
	if key == nil {
		c.next++
		return int32(c.next % partitions)
	}
	return topology.PartitionOf(key, partitions)
}

// producer appends records; they are acknowledged as soon as they are stored.
type producer struct{ c *cluster }

func (client) NewProducer(cfg messaging.Config, _ *slog.Logger) (messaging.RawProducer, error) {
	return &producer{c: clusterOf(cfg)}, nil
}

func (p *producer) Produce(ctx context.Context, msgs []messaging.RawMessage) (func(context.Context) error, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	for _, m := range msgs {
		t, ok := p.c.topics[m.Topic]
		if !ok {
			return nil, fmt.Errorf("produce to %s: %w", m.Topic, ErrUnknownTopic)
		}
		part := p.c.partitionFor(m.Key, len(t.parts))
		t.parts[part] = append(t.parts[part], messaging.RawRecord{
			Topic: m.Topic, Partition: part, Offset: int64(len(t.parts[part])),
			Key: m.Key, Value: m.Value, Headers: append([]messaging.Header(nil), m.Headers...), Timestamp: time.Now(),
		})
	}
	p.c.notify()
	return func(context.Context) error { return nil }, nil
}

func (p *producer) Close(time.Duration) int { return 0 }

// sortedParts lists the partitions of topics that exist, in order; c.mu is held.
func (c *cluster) sortedParts(topics []string) []messaging.TopicPartition {
	var out []messaging.TopicPartition
	names := append([]string(nil), topics...)
	sort.Strings(names)
	for _, name := range names {
		if t, ok := c.topics[name]; ok {
			for p := range t.parts {
				out = append(out, messaging.TopicPartition{Topic: name, Partition: int32(p)})
			}
		}
	}
	return out
}
