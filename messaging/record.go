package messaging

import (
	"fmt"
	"time"
)

// Header is one Kafka record header.
type Header struct {
	Key   string
	Value []byte
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

// Watermarks are a partition's first offset and the offset after its last.
type Watermarks struct{ Low, High int64 }

// TopicState is what the cluster says of one topic.
type TopicState struct {
	Partitions        int
	ReplicationFactor int
	Configs           map[string]string
}
