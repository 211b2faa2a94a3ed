package topology

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"
)

// The bank speaks to Kafka only through this package. Its types are the
// bank's own; a Kafka client library is one implementation of kafkaClient
// below, chosen by KAFKA_CLIENT.

// Header is one Kafka record header.
type Header struct {
	Key   string
	Value []byte
}

// convertHeaders turns headers into a client library's type or back: each
// client's header is, like Header, a Key and a Value.
func convertHeaders[To, From ~struct {
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

// RawMessage is a record to produce whose value is already bytes.
type RawMessage struct {
	Topic   string
	Key     []byte // nil for no key
	Value   []byte
	Headers []Header
}

// RawRecord is a record as read from Kafka, before decoding.
type RawRecord struct {
	Topic     string
	Partition int32
	Offset    int64
	Key       []byte
	Value     []byte
	Headers   []Header
	Timestamp time.Time
}

// Header returns the value of the header named key, or "".
func (r RawRecord) Header(key string) string { return headerValue(r.Headers, key) }

func headerValue(headers []Header, key string) string {
	for _, h := range headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// TopicPartition names one partition of a topic.
type TopicPartition struct {
	Topic     string
	Partition int32
}

func (tp TopicPartition) String() string { return fmt.Sprintf("%s/%d", tp.Topic, tp.Partition) }

// MarshalText writes tp as String does, so a map keyed by partitions (the
// offsets a failed commit logs) is readable in the JSON log.
func (tp TopicPartition) MarshalText() ([]byte, error) { return []byte(tp.String()), nil }

// Special start offsets for a Reader.
const (
	OffsetBeginning int64 = -2 // the partition's first record
	OffsetEnd       int64 = -1 // only records produced from now on
)

// Kafka client libraries the bank can use (KAFKA_CLIENT).
const (
	ClientLibrdkafka = "librdkafka" // confluent-kafka-go, librdkafka through cgo
	ClientFranz      = "franz"      // franz-go, pure Go
)

// kafkaClient is one Kafka client library behind the bank's API.
type kafkaClient interface {
	newProducer(cfg KafkaConfig, log *slog.Logger) (rawProducer, error)
	newConsumer(cfg KafkaConfig, spec consumerSpec, log *slog.Logger) (rawConsumer, error)
	newAdmin(cfg KafkaConfig, log *slog.Logger) (rawAdmin, error)
}

// clients holds the libraries built into this binary; a build without cgo
// has franz-go only.
var clients = map[string]kafkaClient{}

// Clients lists the Kafka client libraries built into this binary.
func Clients() []string {
	names := make([]string, 0, len(clients))
	for n := range clients {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// DefaultClient is the client used when KAFKA_CLIENT is not set: franz-go,
// which the load test found to carry 1.6–1.8× librdkafka's load (docs/loadtest).
const DefaultClient = ClientFranz

func clientOf(cfg KafkaConfig) (kafkaClient, error) {
	name := cfg.Client
	if name == "" {
		name = DefaultClient
	}
	c, ok := clients[name]
	if !ok {
		return nil, fmt.Errorf("KAFKA_CLIENT=%q: not built into this binary (have %s)", name, strings.Join(Clients(), ", "))
	}
	return c, nil
}

// rawProducer sends records and reports when the cluster acknowledged them.
type rawProducer interface {
	// produce enqueues msgs in order without waiting; wait blocks until every
	// one is acknowledged (or ctx ends) and returns the first failure. When
	// enqueueing fails midway, what was enqueued is waited for first.
	produce(ctx context.Context, msgs []RawMessage) (wait func(context.Context) error, err error)
	// close waits up to timeout for what is still queued, then closes.
	close(timeout time.Duration) (undelivered int)
}

// consumerSpec says what a raw consumer reads.
type consumerSpec struct {
	// group is the consumer group: with topics it subscribes (group
	// rebalancing); with assign it only names where offsets are committed.
	group  string
	topics []string
	// assign reads these partitions from these offsets (or OffsetBeginning,
	// OffsetEnd), without group membership.
	assign map[TopicPartition]int64
	// sessionTimeout bounds how long a dead member keeps its partitions.
	sessionTimeout time.Duration
	// maxBufferedBytes bounds what is fetched ahead of the handler.
	maxBufferedBytes int
	// instanceID makes the member static (group.instance.id); empty: dynamic.
	instanceID string
	// beforeRevoke, when set, is called before partitions are taken away
	// and returns once the offsets of what was handled are committed.
	beforeRevoke func()
}

// errFenced: the consumer, a static group member, was fenced for good; a
// new consumer with the same group.instance.id can take its place.
var errFenced = errors.New("fenced static group member")

// rawConsumer reads records.
type rawConsumer interface {
	// poll waits up to wait for a record and returns it with every record
	// already fetched, up to max, without waiting for more. ctx ending makes
	// it return what it has.
	poll(ctx context.Context, max int, wait time.Duration) ([]RawRecord, error)
	// commit stores next offsets (the offset after the last one handled) for
	// the consumer's group.
	commit(ctx context.Context, next map[TopicPartition]int64) error
	// lag is how many records of the assigned partitions are not yet read.
	lag() (int64, error)
	// allowRebalance lets a pending rebalance go ahead: called when what
	// poll returned is handled and committed.
	allowRebalance()
	// assignment is the partitions the group has given this member now.
	assignment() ([]TopicPartition, error)
	// committed is the group's committed offset of each of parts that has one.
	committed(ctx context.Context, parts []TopicPartition) (map[TopicPartition]int64, error)
	close() error
}

// Watermarks are a partition's first offset and the offset after its last.
type Watermarks struct{ Low, High int64 }

// TopicState is what the cluster says of one topic.
type TopicState struct {
	Partitions        int
	ReplicationFactor int
	Configs           map[string]string
}

// rawAdmin is the cluster's admin side.
type rawAdmin interface {
	brokers(ctx context.Context) (int, error)
	topics(ctx context.Context, configKeys []string) (map[string]TopicState, error)
	createTopic(ctx context.Context, topic string, partitions, replicationFactor int, configs map[string]string) error
	addPartitions(ctx context.Context, topic string, total int) error
	deleteTopic(ctx context.Context, topic string) error
	alterConfigs(ctx context.Context, topic string, configs map[string]string) error
	// partitions lists the topic's partitions with their watermarks.
	watermarks(ctx context.Context, topic string) (map[int32]Watermarks, error)
	// committed returns group's committed next offsets of topic's partitions;
	// a partition without one is missing.
	committed(ctx context.Context, group, topic string) (map[int32]int64, error)
	commitOffsets(ctx context.Context, group string, next map[TopicPartition]int64) error
	close()
}

// sortedPartitions returns the keys of m in order.
func sortedPartitions[V any](m map[int32]V) []int32 {
	ps := make([]int32, 0, len(m))
	for p := range m {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	return ps
}

// closeGrace bounds how long closing a group consumer may take. Leaving the
// group waits for a rebalance under way, which waits for a crashed member's
// session to time out; nothing is committed on close, so giving up is safe.
const closeGrace = 2 * time.Second

// closeWithin runs shut and returns when it is done or after d, whichever
// comes first; shut then finishes in the background.
func closeWithin(d time.Duration, shut func()) {
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
