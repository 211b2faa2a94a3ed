package messaging

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"openbank/kit/retry"
	"openbank/topology/records"
	"openbank/topology/serde"
)

// Delivery is one decoded record read from Kafka.
type Delivery struct {
	Topic     string
	Partition int32
	Offset    int64
	Key       []byte
	// Value is the record as read, in the wire format, so a consumer that
	// rejects a decodable record can still dead-letter it byte for byte.
	Value     []byte
	Headers   []Header
	Timestamp time.Time
	Record    records.Record
}

// Header returns the value of the header named key, or "".
func (d Delivery) Header(key string) string { return headerValue(d.Headers, key) }

// ConsumerOptions say what a Consumer reads and how it batches.
type ConsumerOptions struct {
	Group  string
	Topics []string
	// MaxBatch is the most records handed to the handler at once (default 500).
	MaxBatch int
	// BatchWait is how long a batch may wait for more records after its
	// first. The default 0 hands over what is already fetched at once: no
	// waiting when idle, while under load batches still grow with what
	// arrives during the previous batch.
	BatchWait time.Duration
	// DeadLetterTopic receives records that can never be decoded; without it
	// such records are logged and skipped.
	DeadLetterTopic string
	// SessionTimeout is how long a crashed member keeps its partitions
	// before another takes them (default 10 s).
	SessionTimeout time.Duration
	// MaxBufferedBytes bounds the records fetched ahead of the handler
	// (default 1 MiB): a few batches ahead is all that helps.
	MaxBufferedBytes int
	// GroupInstanceID makes this member static (KIP-345): restarted with
	// the same id within SessionTimeout, it gets its partitions back at
	// once, without a rebalance. Empty: a dynamic member. Two running
	// members must never share one.
	GroupInstanceID string
	// OnAssigned, when set, is called before the next batch is handed to
	// the handler whenever partitions were assigned to this member since
	// the last call (at start-up: all of them), with the group's committed
	// offset of each that has one. It is retried until it succeeds.
	OnAssigned func(ctx context.Context, committed map[TopicPartition]int64) error
	// Overlap begins the next batch while the previous one's records are
	// being acknowledged (RunStage); off, each batch is finished first.
	Overlap bool
}

// ValidGroupInstanceID is Kafka's rule for a group.instance.id (as for topic
// names): 1 to 249 letters, digits, '.', '_' or '-'.
func ValidGroupInstanceID(id string) bool {
	return id != "" && len(id) <= 249 && strings.Trim(id,
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == ""
}

// Consumer reads bank records in batches and commits offsets only after its
// handler has finished with them (at-least-once).
type Consumer struct {
	raw   RawConsumer
	codec *serde.Serde
	dead  *Producer
	opts  ConsumerOptions
	log   *slog.Logger
	// announced is the assignment OnAssigned was last told about.
	announced map[TopicPartition]bool
	// rejoin makes a new raw consumer, for when a static member was fenced.
	rejoin func() (RawConsumer, error)
	// commits is the offset commit in flight, if any.
	commits committer
}

// NewConsumer subscribes a consumer in opts.Group to opts.Topics. dead may be
// nil when opts.DeadLetterTopic is empty.
func NewConsumer(cfg Config, codec *serde.Serde, dead *Producer, opts ConsumerOptions, log *slog.Logger) (*Consumer, error) {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 500
	}
	if opts.DeadLetterTopic != "" && dead == nil {
		return nil, errors.New("a dead-letter topic needs a producer")
	}
	if opts.SessionTimeout <= 0 {
		opts.SessionTimeout = 10 * time.Second
	}
	if opts.MaxBufferedBytes <= 0 {
		opts.MaxBufferedBytes = 1 << 20
	}
	client, err := clientOf(cfg)
	if err != nil {
		return nil, err
	}
	c := &Consumer{codec: codec, dead: dead, opts: opts, log: log}
	c.commits = committer{interval: cfg.CommitInterval, commit: c.commit}
	spec := ConsumerSpec{
		Group: opts.Group, Topics: opts.Topics,
		SessionTimeout: opts.SessionTimeout, MaxBufferedBytes: opts.MaxBufferedBytes,
		InstanceID: opts.GroupInstanceID,
		// A partition moves only once what was handled of it is committed.
		BeforeRevoke: c.commits.flush,
	}
	c.rejoin = func() (RawConsumer, error) { return client.NewConsumer(cfg, spec, log) }
	if c.raw, err = c.rejoin(); err != nil {
		return nil, err
	}
	return c, nil
}

// rejoinGroup replaces a consumer that is a fenced static member with a new
// one of the same id. librdkafka fences a static member by itself: after a
// session timeout (its coordinator's broker died) it rejoins under the same
// group.instance.id, and a commit still under the old membership then fails
// with FENCED_INSTANCE_ID, which it treats as fatal. The records since the
// last commit are read again, and OnAssigned runs again for every partition.
func (c *Consumer) rejoinGroup(why error) error {
	c.log.Error("fenced as a static group member; joining again with a new consumer",
		"group_instance_id", c.opts.GroupInstanceID, "error", why)
	if err := c.raw.Close(); err != nil {
		c.log.Warn("close the fenced consumer", "error", err)
	}
	raw, err := c.rejoin()
	if err != nil {
		return fmt.Errorf("join the group again after being fenced: %w", err)
	}
	c.raw, c.announced = raw, nil
	return nil
}

// announceAssigned calls OnAssigned with the partitions assigned since the
// last call, if any, and their committed offsets.
func (c *Consumer) announceAssigned(ctx context.Context) error {
	if c.opts.OnAssigned == nil {
		return nil
	}
	now, err := c.raw.Assignment()
	if err != nil {
		return fmt.Errorf("read the assignment: %w", err)
	}
	current := make(map[TopicPartition]bool, len(now))
	var added []TopicPartition
	for _, tp := range now {
		current[tp] = true
		if !c.announced[tp] {
			added = append(added, tp)
		}
	}
	if len(added) > 0 {
		var committed map[TopicPartition]int64
		err := retry.Do(ctx, c.log, "read committed offsets", retry.Forever, func() error {
			var err error
			committed, err = c.raw.Committed(ctx, added)
			return err
		})
		if err != nil {
			return err
		}
		c.log.Info("partitions assigned", "partitions", len(added), "assigned", len(now))
		if err := retry.Do(ctx, c.log, "take over assigned partitions", retry.Forever, func() error {
			return c.opts.OnAssigned(ctx, committed)
		}); err != nil {
			return err
		}
	}
	c.announced = current // revoked ones are forgotten, so they count as new when they come back
	return nil
}

// poll gathers up to MaxBatch records: what is fetched already, and more for
// up to BatchWait.
func (c *Consumer) poll(ctx context.Context) ([]RawRecord, error) {
	return pollBatch(ctx, c.raw, c.opts.MaxBatch, c.opts.BatchWait)
}

// pollBatch gathers up to max records from raw, waiting at most batchWait
// after the first for more.
func pollBatch(ctx context.Context, raw RawConsumer, max int, batchWait time.Duration) ([]RawRecord, error) {
	if ctx.Err() != nil {
		return nil, nil
	}
	msgs, err := raw.Poll(ctx, max, 100*time.Millisecond)
	if err != nil || len(msgs) == 0 || batchWait <= 0 {
		return msgs, err
	}
	deadline := time.Now().Add(batchWait)
	for len(msgs) < max {
		wait := time.Until(deadline)
		if wait <= 0 {
			break
		}
		more, err := raw.Poll(ctx, max-len(msgs), wait)
		if err != nil {
			return msgs, err
		}
		msgs = append(msgs, more...)
	}
	return msgs, nil
}

// decode turns messages into deliveries. Records that can never be decoded go
// to the dead-letter topic; a registry that does not answer is waited for.
func (c *Consumer) decode(ctx context.Context, msgs []RawRecord) ([]Delivery, error) {
	batch := make([]Delivery, 0, len(msgs))
	var bad *serde.DecodeError // one for the batch: errors.As moves it to the heap
	for _, m := range msgs {
		topic := m.Topic
		rec, err := c.codec.Decode(topic, m.Value)
		if err != nil && !errors.As(err, &bad) {
			rec, err = c.decodeWhenReachable(ctx, topic, m.Value)
		}
		if errors.As(err, &bad) {
			if err := c.deadLetter(ctx, m, bad); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		batch = append(batch, Delivery{
			Topic: topic, Partition: m.Partition, Offset: m.Offset,
			Key: m.Key, Value: m.Value, Headers: m.Headers, Timestamp: m.Timestamp, Record: rec,
		})
	}
	return batch, nil
}

// decodeWhenReachable decodes value again until the registry answers, or
// the record proves undecodable (a *serde.DecodeError).
func (c *Consumer) decodeWhenReachable(ctx context.Context, topic string, value []byte) (rec records.Record, err error) {
	err = retry.Do(ctx, c.log, "decode record", retry.Forever, func() error {
		var e error
		rec, e = c.codec.Decode(topic, value)
		if bad := (*serde.DecodeError)(nil); errors.As(e, &bad) {
			return retry.Permanent(e)
		}
		return e
	})
	return rec, err
}

// Lag is how many records of the assigned partitions are not yet read.
func (c *Consumer) Lag() (int64, error) { return c.raw.Lag() }

// Close leaves the group and closes the consumer.
func (c *Consumer) Close() error {
	if err := c.raw.Close(); err != nil {
		return fmt.Errorf("close Kafka consumer: %w", err)
	}
	return nil
}

// Raw is the delivery's record as read, before decoding.
func (d Delivery) Raw() RawRecord {
	return RawRecord{Topic: d.Topic, Partition: d.Partition, Offset: d.Offset, Key: d.Key, Value: d.Value,
		Headers: d.Headers, Timestamp: d.Timestamp}
}
