package messaging

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"openbank/topology"
)

// A Kafka client library is one implementation of Client, in a package of
// its own (openbank/messaging/franz, openbank/messaging/librdkafka) that
// registers itself; KAFKA_CLIENT picks one at run time. A program links the
// libraries it imports, usually through openbank/messaging/clients.

// Kafka client libraries the bank can use (KAFKA_CLIENT).
const (
	ClientLibrdkafka = "librdkafka" // confluent-kafka-go, librdkafka through cgo
	ClientFranz      = "franz"      // franz-go, pure Go
)

// Client is one Kafka client library behind the bank's API.
type Client interface {
	NewProducer(cfg Config, log *slog.Logger) (RawProducer, error)
	NewConsumer(cfg Config, spec ConsumerSpec, log *slog.Logger) (RawConsumer, error)
	NewAdmin(cfg Config, log *slog.Logger) (RawAdmin, error)
}

// registered holds the libraries linked into this binary, by name.
var registered = struct {
	sync.RWMutex
	clients map[string]Client
}{clients: map[string]Client{}}

// Register makes a client library available under name (KAFKA_CLIENT); each
// library's package calls it from init.
func Register(name string, c Client) {
	registered.Lock()
	defer registered.Unlock()
	if _, dup := registered.clients[name]; dup {
		panic("messaging: client " + name + " registered twice")
	}
	registered.clients[name] = c
}

// Clients lists the Kafka client libraries linked into this binary.
func Clients() []string {
	registered.RLock()
	defer registered.RUnlock()
	names := make([]string, 0, len(registered.clients))
	for n := range registered.clients {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// DefaultClient is the client used when KAFKA_CLIENT is not set: franz-go,
// whose batches cost a third of librdkafka's time (docs/latency.md#kafka-client).
const DefaultClient = ClientFranz

func clientOf(cfg Config) (Client, error) {
	name := cfg.Client
	if name == "" {
		name = DefaultClient
	}
	registered.RLock()
	c, ok := registered.clients[name]
	registered.RUnlock()
	if !ok {
		return nil, fmt.Errorf("KAFKA_CLIENT=%q: not built into this binary (have %s)", name, strings.Join(Clients(), ", "))
	}
	return c, nil
}

// RawProducer sends records and reports when the cluster acknowledged them.
type RawProducer interface {
	// produce enqueues msgs in order without waiting; wait blocks until every
	// one is acknowledged (or ctx ends) and returns the first failure. When
	// enqueueing fails midway, what was enqueued is waited for first.
	Produce(ctx context.Context, msgs []RawMessage) (wait func(context.Context) error, err error)
	// close waits up to timeout for what is still queued, then closes.
	Close(timeout time.Duration) (undelivered int)
}

// ConsumerSpec says what a raw consumer reads.
type ConsumerSpec struct {
	// group is the consumer group: with topics it subscribes (group
	// rebalancing); with assign it only names where offsets are committed.
	Group  string
	Topics []string
	// assign reads these partitions from these offsets (or OffsetBeginning,
	// OffsetEnd), without group membership.
	Assign map[TopicPartition]int64
	// sessionTimeout bounds how long a dead member keeps its partitions.
	SessionTimeout time.Duration
	// maxBufferedBytes bounds what is fetched ahead of the handler.
	MaxBufferedBytes int
	// instanceID makes the member static (group.instance.id); empty: dynamic.
	InstanceID string
	// beforeRevoke, when set, is called before partitions are taken away
	// and returns once the offsets of what was handled are committed.
	BeforeRevoke func()
}

// ErrFenced: the consumer, a static group member, was fenced for good; a
// new consumer with the same group.instance.id can take its place.
var ErrFenced = errors.New("fenced static group member")

// ErrGroupHasMembers: the broker refused an offset commit from outside a
// group because the group still has members (one killed moments ago stays
// until its session times out). A RawAdmin wraps it so callers can wait.
var ErrGroupHasMembers = errors.New("consumer group has active members")

// RawConsumer reads records.
type RawConsumer interface {
	// poll waits up to wait for a record and returns it with every record
	// already fetched, up to max, without waiting for more. ctx ending makes
	// it return what it has.
	Poll(ctx context.Context, max int, wait time.Duration) ([]RawRecord, error)
	// commit stores next offsets (the offset after the last one handled) for
	// the consumer's group.
	Commit(ctx context.Context, next map[TopicPartition]int64) error
	// lag is how many records of the assigned partitions are not yet read.
	Lag() (int64, error)
	// allowRebalance lets a pending rebalance go ahead: called when what
	// poll returned is handled and committed.
	AllowRebalance()
	// assignment is the partitions the group has given this member now.
	Assignment() ([]TopicPartition, error)
	// committed is the group's committed offset of each of parts that has one.
	Committed(ctx context.Context, parts []TopicPartition) (map[TopicPartition]int64, error)
	Close() error
}

// RawAdmin is the cluster's admin side.
type RawAdmin interface {
	Brokers(ctx context.Context) (int, error)
	Topics(ctx context.Context, configKeys []string) (map[string]TopicState, error)
	CreateTopic(ctx context.Context, topic string, partitions, replicationFactor int, configs map[string]string) error
	AddPartitions(ctx context.Context, topic string, total int) error
	DeleteTopic(ctx context.Context, topic string) error
	AlterConfigs(ctx context.Context, topic string, configs map[string]string) error
	// partitions lists the topic's partitions with their watermarks.
	Watermarks(ctx context.Context, topic string) (map[int32]Watermarks, error)
	// committed returns group's committed next offsets of topic's partitions;
	// a partition without one is missing.
	Committed(ctx context.Context, group, topic string) (map[int32]int64, error)
	CommitOffsets(ctx context.Context, group string, next map[TopicPartition]int64) error
	// GrantACLs creates allow rules (the caller must be allowed to, a super user).
	GrantACLs(ctx context.Context, acls []topology.ACL) error
	Close()
}

// CloseGrace bounds how long closing a group consumer may take. Leaving the
// group waits for a rebalance under way, which waits for a crashed member's
// session to time out; nothing is committed on close, so giving up is safe.
const CloseGrace = 2 * time.Second

// The most a producer holds that Kafka has not yet acknowledged, in records
// and in bytes, with either client: past it, sending waits. The bank's
// producers wait for every acknowledgement, so a full buffer only happens
// while Kafka is away, and then holding more would only cost memory.
const (
	MaxUnacknowledgedRecords = 10_000
	MaxUnacknowledgedBytes   = 16 << 20
)

// CloseWithin runs shut and returns when it is done or after d, whichever
// comes first; shut then finishes in the background.
func CloseWithin(d time.Duration, shut func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		shut()
	}()
	select {
	case <-done:
	case <-time.After(d):
	}
}

// ConvertHeaders turns headers into a client library's type or back: each
// client's header is, like Header, a Key and a Value.
func ConvertHeaders[To, From ~struct {
	Key   string
	Value []byte
}](hs []From) []To {
	if len(hs) == 0 {
		return nil
	}
	out := make([]To, len(hs))
	for i, h := range hs {
		out[i] = To(h)
	}
	return out
}
