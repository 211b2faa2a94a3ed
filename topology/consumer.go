package topology

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"openbank/topology/records"
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
	Headers   []kafka.Header
	Timestamp time.Time
	Record    records.Record
}

// Header returns the value of the header named key, or "".
func (d Delivery) Header(key string) string {
	for _, h := range d.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// ConsumerOptions say what a Consumer reads and how it batches.
type ConsumerOptions struct {
	Group  string
	Topics []string
	// MaxBatch is the most records handed to the handler at once (default 500).
	MaxBatch int
	// BatchWait is how long a batch may wait for more records after its first (default 5ms).
	BatchWait time.Duration
	// DeadLetterTopic receives records that can never be decoded; without it
	// such records are logged and skipped.
	DeadLetterTopic string
	// Config holds further librdkafka settings, applied over ConsumerConfig's
	// (a service's own knobs: session.timeout.ms, queued.max.messages.kbytes, ...).
	Config kafka.ConfigMap
}

// Handler handles one batch. It returns nil only when the whole batch is done:
// the offsets are committed after that. On an error the same batch is offered
// again, with backoff, so nothing is skipped; handlers must be idempotent.
type Handler func(ctx context.Context, batch []Delivery) error

// Consumer reads bank records in batches and commits offsets only after its
// handler has finished with them (at-least-once).
type Consumer struct {
	kc    *kafka.Consumer
	serde *Serde
	dead  *Producer
	opts  ConsumerOptions
	log   *slog.Logger
}

// NewConsumer subscribes a consumer in opts.Group to opts.Topics. dead may be
// nil when opts.DeadLetterTopic is empty.
func NewConsumer(cfg KafkaConfig, serde *Serde, dead *Producer, opts ConsumerOptions, log *slog.Logger) (*Consumer, error) {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 500
	}
	if opts.BatchWait <= 0 {
		opts.BatchWait = 5 * time.Millisecond
	}
	if opts.DeadLetterTopic != "" && dead == nil {
		return nil, errors.New("a dead-letter topic needs a producer")
	}
	conf := cfg.ConsumerConfig(opts.Group)
	for k, v := range opts.Config {
		conf[k] = v
	}
	kc, err := kafka.NewConsumer(&conf)
	if err != nil {
		return nil, fmt.Errorf("create Kafka consumer: %w", err)
	}
	if err := kc.SubscribeTopics(opts.Topics, nil); err != nil {
		_ = kc.Close()
		return nil, fmt.Errorf("subscribe to %v: %w", opts.Topics, err)
	}
	return &Consumer{kc: kc, serde: serde, dead: dead, opts: opts, log: log}, nil
}

// Run hands batches to handle until ctx is cancelled. A batch already read when
// ctx is cancelled is still handled and committed, so shutdown loses nothing.
func (c *Consumer) Run(ctx context.Context, handle Handler) error {
	for ctx.Err() == nil {
		msgs, err := c.poll(ctx)
		if err != nil {
			return err
		}
		if len(msgs) == 0 {
			continue
		}
		// Finish what was read even when shutdown starts meanwhile.
		work := context.WithoutCancel(ctx)
		batch, err := c.decode(work, msgs)
		if err != nil {
			return err
		}
		if len(batch) > 0 {
			if err := retry(work, c.log, "handle batch", func() error { return handle(work, batch) }); err != nil {
				return err
			}
		}
		c.commit(msgs)
	}
	return nil
}

// poll gathers up to MaxBatch messages, waiting at most BatchWait after the first.
func (c *Consumer) poll(ctx context.Context) ([]*kafka.Message, error) {
	var msgs []*kafka.Message
	var deadline time.Time
	for len(msgs) < c.opts.MaxBatch {
		wait := 100 * time.Millisecond
		if len(msgs) > 0 {
			wait = time.Until(deadline)
			if wait <= 0 {
				break
			}
		} else if ctx.Err() != nil {
			break
		}
		switch ev := c.kc.Poll(max(1, int(wait/time.Millisecond))).(type) {
		case *kafka.Message:
			if ev.TopicPartition.Error != nil {
				c.log.Warn("kafka consumer", "error", ev.TopicPartition.Error)
				continue
			}
			if len(msgs) == 0 {
				deadline = time.Now().Add(c.opts.BatchWait)
			}
			msgs = append(msgs, ev)
		case kafka.Error:
			if ev.IsFatal() {
				return msgs, fmt.Errorf("kafka consumer: %w", ev)
			}
			c.log.Warn("kafka consumer", "error", ev, "code", ev.Code())
		case nil:
			if len(msgs) > 0 {
				return msgs, nil
			}
		}
	}
	return msgs, nil
}

// decode turns messages into deliveries. Records that can never be decoded go
// to the dead-letter topic; a registry that does not answer is waited for.
func (c *Consumer) decode(ctx context.Context, msgs []*kafka.Message) ([]Delivery, error) {
	batch := make([]Delivery, 0, len(msgs))
	for _, m := range msgs {
		topic := *m.TopicPartition.Topic
		var rec records.Record
		err := retry(ctx, c.log, "decode record", func() error {
			var err error
			rec, err = c.serde.Decode(topic, m.Value)
			var bad *DecodeError
			if errors.As(err, &bad) {
				return backoff.Permanent(err)
			}
			return err
		})
		var bad *DecodeError
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
			Topic: topic, Partition: m.TopicPartition.Partition, Offset: int64(m.TopicPartition.Offset),
			Key: m.Key, Value: m.Value, Headers: m.Headers, Timestamp: m.Timestamp, Record: rec,
		})
	}
	return batch, nil
}

// Headers on a dead letter that say where it came from and why.
const (
	HeaderDeadLetterTopic     = "dead-letter-topic"
	HeaderDeadLetterPartition = "dead-letter-partition"
	HeaderDeadLetterOffset    = "dead-letter-offset"
	HeaderDeadLetterError     = "dead-letter-error"
)

func (c *Consumer) deadLetter(ctx context.Context, m *kafka.Message, why *DecodeError) error {
	tp := m.TopicPartition
	c.log.Error("undecodable record", "topic", *tp.Topic, "partition", tp.Partition, "offset", int64(tp.Offset),
		"error", why, "dead_letter_topic", c.opts.DeadLetterTopic)
	if c.opts.DeadLetterTopic == "" {
		return nil
	}
	headers := append([]kafka.Header{
		{Key: HeaderDeadLetterTopic, Value: []byte(*tp.Topic)},
		{Key: HeaderDeadLetterPartition, Value: []byte(strconv.Itoa(int(tp.Partition)))},
		{Key: HeaderDeadLetterOffset, Value: []byte(strconv.FormatInt(int64(tp.Offset), 10))},
		{Key: HeaderDeadLetterError, Value: []byte(why.Error())},
	}, m.Headers...)
	dl := rawMessage(c.opts.DeadLetterTopic, string(m.Key), m.Value, headers)
	return retry(ctx, c.log, "send dead letter", func() error { return c.dead.SendRaw(ctx, dl) })
}

// commit stores the offsets after msgs. A failed commit only means these
// records may be read again, which handlers tolerate, so it is logged.
func (c *Consumer) commit(msgs []*kafka.Message) {
	next := map[string]map[int32]kafka.Offset{}
	for _, m := range msgs {
		tp := m.TopicPartition
		if next[*tp.Topic] == nil {
			next[*tp.Topic] = map[int32]kafka.Offset{}
		}
		if o := tp.Offset + 1; o > next[*tp.Topic][tp.Partition] {
			next[*tp.Topic][tp.Partition] = o
		}
	}
	var offsets []kafka.TopicPartition
	for topic, parts := range next {
		for p, o := range parts {
			offsets = append(offsets, kafka.TopicPartition{Topic: &topic, Partition: p, Offset: o})
		}
	}
	if _, err := c.kc.CommitOffsets(offsets); err != nil {
		c.log.Warn("commit offsets; the records will be read again", "error", err)
	}
}

// Lag is how many records of the assigned partitions are not yet read.
func (c *Consumer) Lag() (int64, error) {
	assigned, err := c.kc.Assignment()
	if err != nil {
		return 0, fmt.Errorf("assignment: %w", err)
	}
	positions, err := c.kc.Position(assigned)
	if err != nil {
		return 0, fmt.Errorf("positions: %w", err)
	}
	var lag int64
	for _, tp := range positions {
		_, high, err := c.kc.GetWatermarkOffsets(*tp.Topic, tp.Partition)
		if err != nil || tp.Offset < 0 {
			continue
		}
		lag += max(0, high-int64(tp.Offset))
	}
	return lag, nil
}

// Close leaves the group and closes the consumer.
func (c *Consumer) Close() error {
	if err := c.kc.Close(); err != nil {
		return fmt.Errorf("close Kafka consumer: %w", err)
	}
	return nil
}

// retry runs op until it succeeds, returns a permanent error, or ctx ends,
// backing off up to 5 s between tries and logging each failure.
func retry(ctx context.Context, log *slog.Logger, what string, op func() error) error {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 50 * time.Millisecond
	b.MaxInterval = 5 * time.Second
	_, err := backoff.Retry(ctx, func() (struct{}, error) { return struct{}{}, op() },
		backoff.WithBackOff(b), backoff.WithMaxElapsedTime(0),
		backoff.WithNotify(func(err error, next time.Duration) {
			log.Warn(what+" failed; retrying", "error", err, "retry_in", next)
		}))
	return err
}
