//go:build cgo && !nolibrdkafka

package librdkafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"openbank/messaging"
)

// librdkafka is confluent-kafka-go: librdkafka through cgo.
type librdkafka struct{}

func init() { messaging.Register(messaging.ClientLibrdkafka, librdkafka{}) }

// rdConfig is the configuration every librdkafka client shares.
func rdConfig(c messaging.Config) kafka.ConfigMap {
	m := kafka.ConfigMap{
		"bootstrap.servers": c.Brokers,
		"client.id":         c.ClientID,
		// librdkafka logs through a channel drained into slog, not on stderr.
		"go.logs.channel.enable": true,
	}
	if c.CALocation != "" {
		m["security.protocol"] = "ssl"
		m["ssl.ca.location"] = c.CALocation
		if c.CertificateLocation != "" {
			m["ssl.certificate.location"] = c.CertificateLocation
			m["ssl.key.location"] = c.KeyLocation
		}
		if c.KeyPassword != "" {
			m["ssl.key.password"] = c.KeyPassword
		}
	}
	if c.SASLMechanism != "" {
		m["security.protocol"] = "sasl_plaintext"
		if c.CALocation != "" {
			m["security.protocol"] = "sasl_ssl"
		}
		m["sasl.mechanisms"] = c.SASLMechanism
		m["sasl.username"] = c.SASLUsername
		m["sasl.password"] = c.SASLPassword
	}
	return m
}

// drainLogs forwards librdkafka's log lines to slog.
func drainLogs(logs chan kafka.LogEvent, log *slog.Logger) {
	for e := range logs {
		level := slog.LevelDebug
		switch {
		case e.Level <= 3:
			level = slog.LevelError
		case e.Level == 4:
			level = slog.LevelWarn
		case e.Level <= 6:
			level = slog.LevelInfo
		}
		log.Log(context.Background(), level, e.Message, "kafka_client", messaging.ClientLibrdkafka, "facility", e.Tag, "client", e.Name)
	}
}

type rdProducer struct {
	kp  *kafka.Producer
	log *slog.Logger
}

func (librdkafka) NewProducer(cfg messaging.Config, log *slog.Logger) (messaging.RawProducer, error) {
	m := rdConfig(cfg)
	m["acks"] = "all"
	m["enable.idempotence"] = true
	m["linger.ms"] = int(cfg.Linger / time.Millisecond)
	m["compression.type"] = cfg.Codec()
	// The Java client's partitioner (franz-go's too), so a key lands on the
	// same partition whichever client wrote it.
	m["partitioner"] = "murmur2_random"
	// Deliveries go to per-call channels and ProduceChannel is unused; the
	// client's default buffers (a million entries each, ~24 MiB) only cost memory.
	m["go.events.channel.size"] = 1000
	m["go.produce.channel.size"] = 1000
	m["queue.buffering.max.messages"] = messaging.MaxUnacknowledgedRecords
	m["queue.buffering.max.kbytes"] = messaging.MaxUnacknowledgedBytes >> 10
	kp, err := kafka.NewProducer(&m)
	if err != nil {
		return nil, fmt.Errorf("create Kafka producer: %w", err)
	}
	go drainLogs(kp.Logs(), log)
	p := &rdProducer{kp: kp, log: log}
	go p.logEvents()
	return p, nil
}

// logEvents drains client-level events; delivery reports go to per-call channels.
func (p *rdProducer) logEvents() {
	for ev := range p.kp.Events() {
		if e, ok := ev.(kafka.Error); ok {
			p.log.Warn("kafka producer", "error", e, "code", e.Code())
		}
	}
}

func (p *rdProducer) Produce(ctx context.Context, msgs []messaging.RawMessage) (func(context.Context) error, error) {
	if len(msgs) == 0 {
		return func(context.Context) error { return nil }, nil
	}
	reports := make(chan kafka.Event, len(msgs))
	for sent, m := range msgs {
		km := &kafka.Message{
			TopicPartition: kafka.TopicPartition{Topic: &m.Topic, Partition: kafka.PartitionAny},
			Key:            m.Key, Value: m.Value, Headers: messaging.ConvertHeaders[kafka.Header](m.Headers),
		}
		for {
			err := p.kp.Produce(km, reports)
			if err == nil {
				break
			}
			var kerr kafka.Error
			if errors.As(err, &kerr) && kerr.Code() == kafka.ErrQueueFull && ctx.Err() == nil {
				// The local queue is full: let deliveries drain, then try again.
				p.kp.Flush(100)
				continue
			}
			return nil, rdAwait(ctx, reports, sent, fmt.Errorf("produce to %s: %w", m.Topic, err))
		}
	}
	return func(ctx context.Context) error { return rdAwait(ctx, reports, len(msgs), nil) }, nil
}

// rdAwait waits for n delivery reports and returns the first error among
// them, or first when it is set.
func rdAwait(ctx context.Context, reports chan kafka.Event, n int, first error) error {
	for i := 0; i < n; i++ {
		select {
		case ev := <-reports:
			if m, ok := ev.(*kafka.Message); ok && m.TopicPartition.Error != nil && first == nil {
				first = fmt.Errorf("deliver to %s: %w", *m.TopicPartition.Topic, m.TopicPartition.Error)
			}
		case <-ctx.Done():
			if first == nil {
				first = fmt.Errorf("waiting for delivery: %w", ctx.Err())
			}
			return first
		}
	}
	return first
}

func (p *rdProducer) Close(timeout time.Duration) int {
	left := p.kp.Flush(int(timeout / time.Millisecond))
	p.kp.Close()
	return left
}

type rdConsumer struct {
	kc   *kafka.Consumer
	log  *slog.Logger
	spec messaging.ConsumerSpec
}

func (librdkafka) NewConsumer(cfg messaging.Config, spec messaging.ConsumerSpec, log *slog.Logger) (messaging.RawConsumer, error) {
	m := rdConfig(cfg)
	group := spec.Group
	if group == "" {
		group = "open-bank-reader" // librdkafka wants one; a reader without a group commits nothing
	}
	m["group.id"] = group
	m["enable.auto.commit"] = false
	m["enable.auto.offset.store"] = false
	m["auto.offset.reset"] = "earliest"
	m["isolation.level"] = "read_committed"
	m["partition.assignment.strategy"] = "cooperative-sticky"
	m["fetch.wait.max.ms"] = int(cfg.FetchWait / time.Millisecond)
	if spec.SessionTimeout > 0 {
		m["session.timeout.ms"] = int(spec.SessionTimeout / time.Millisecond)
	}
	if spec.InstanceID != "" {
		m["group.instance.id"] = spec.InstanceID
	}
	if b := spec.MaxBufferedBytes; b > 0 {
		m["queued.max.messages.kbytes"] = max(b/1024, 64)
		// librdkafka wants a fetch to hold at least one message (message.max.bytes, ~1 MB).
		m["fetch.max.bytes"] = min(max(b, 1<<20), 52_428_800)
	}
	kc, err := kafka.NewConsumer(&m)
	if err != nil {
		return nil, fmt.Errorf("create Kafka consumer: %w", err)
	}
	go drainLogs(kc.Logs(), log)
	c := &rdConsumer{kc: kc, log: log, spec: spec}
	if spec.Assign != nil {
		var parts []kafka.TopicPartition
		for tp, o := range spec.Assign {
			topic := tp.Topic
			parts = append(parts, kafka.TopicPartition{Topic: &topic, Partition: tp.Partition, Offset: rdOffset(o)})
		}
		err = kc.Assign(parts)
	} else {
		err = kc.SubscribeTopics(spec.Topics, c.rebalanced)
	}
	if err != nil {
		_ = kc.Close()
		return nil, fmt.Errorf("read %v: %w", spec.Topics, err)
	}
	return c, nil
}

func rdOffset(o int64) kafka.Offset {
	switch o {
	case messaging.OffsetBeginning:
		return kafka.OffsetBeginning
	case messaging.OffsetEnd:
		return kafka.OffsetEnd
	}
	return kafka.Offset(o)
}

func (c *rdConsumer) Poll(ctx context.Context, maxRecords int, wait time.Duration) ([]messaging.RawRecord, error) {
	var out []messaging.RawRecord
	deadline := time.Now().Add(wait)
	for len(out) < maxRecords {
		timeout := 0 // once a record is there, take only what is already fetched
		if len(out) == 0 {
			left := time.Until(deadline)
			if left <= 0 || ctx.Err() != nil {
				break
			}
			timeout = max(1, int(min(left, 100*time.Millisecond)/time.Millisecond))
		}
		switch ev := c.kc.Poll(timeout).(type) {
		case *kafka.Message:
			if ev.TopicPartition.Error != nil {
				c.log.Warn("kafka consumer", "error", ev.TopicPartition.Error)
				continue
			}
			out = append(out, messaging.RawRecord{
				Topic: *ev.TopicPartition.Topic, Partition: ev.TopicPartition.Partition,
				Offset: int64(ev.TopicPartition.Offset), Key: ev.Key, Value: ev.Value,
				Headers: messaging.ConvertHeaders[messaging.Header](ev.Headers), Timestamp: ev.Timestamp,
			})
		case kafka.Error:
			if ev.IsFatal() && ev.Code() == kafka.ErrFencedInstanceID {
				return out, fmt.Errorf("kafka consumer: %w: %w", messaging.ErrFenced, ev)
			}
			if ev.IsFatal() {
				return out, fmt.Errorf("kafka consumer: %w", ev)
			}
			c.log.Warn("kafka consumer", "error", ev, "code", ev.Code())
		case nil:
			if len(out) > 0 {
				return out, nil
			}
		}
	}
	return out, nil
}

func (c *rdConsumer) Commit(_ context.Context, next map[messaging.TopicPartition]int64) error {
	if c.spec.Group == "" {
		return errors.New("a reader without a group cannot commit")
	}
	offsets := make([]kafka.TopicPartition, 0, len(next))
	for tp, o := range next {
		topic := tp.Topic
		offsets = append(offsets, kafka.TopicPartition{Topic: &topic, Partition: tp.Partition, Offset: kafka.Offset(o)})
	}
	_, err := c.kc.CommitOffsets(offsets)
	return err
}

func (c *rdConsumer) Lag() (int64, error) {
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

func (c *rdConsumer) Assignment() ([]messaging.TopicPartition, error) {
	parts, err := c.kc.Assignment()
	if err != nil {
		return nil, err
	}
	out := make([]messaging.TopicPartition, 0, len(parts))
	for _, p := range parts {
		out = append(out, messaging.TopicPartition{Topic: *p.Topic, Partition: p.Partition})
	}
	return out, nil
}

func (c *rdConsumer) Committed(ctx context.Context, parts []messaging.TopicPartition) (map[messaging.TopicPartition]int64, error) {
	query := make([]kafka.TopicPartition, 0, len(parts))
	for _, tp := range parts {
		topic := tp.Topic
		query = append(query, kafka.TopicPartition{Topic: &topic, Partition: tp.Partition})
	}
	timeout := 30 * time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	got, err := c.kc.Committed(query, max(1, int(timeout/time.Millisecond)))
	if err != nil {
		return nil, fmt.Errorf("committed offsets: %w", err)
	}
	out := make(map[messaging.TopicPartition]int64, len(got))
	for _, p := range got {
		if p.Error != nil {
			return nil, fmt.Errorf("committed offset of %s/%d: %w", *p.Topic, p.Partition, p.Error)
		}
		if p.Offset >= 0 {
			out[messaging.TopicPartition{Topic: *p.Topic, Partition: p.Partition}] = int64(p.Offset)
		}
	}
	return out, nil
}

// rebalanced runs inside Poll, on the consumer's goroutine, between batches:
// what was handled of the partitions taken away is committed before they go.
// Returning without assigning leaves the (incremental) assignment to the
// library.
func (c *rdConsumer) rebalanced(_ *kafka.Consumer, ev kafka.Event) error {
	if _, revoked := ev.(kafka.RevokedPartitions); revoked && c.spec.BeforeRevoke != nil {
		c.spec.BeforeRevoke()
	}
	return nil
}

// allowRebalance has nothing to do: librdkafka rebalances inside Poll, and a
// batch handed out before a revocation is at worst read again elsewhere.
func (c *rdConsumer) AllowRebalance() {}

func (c *rdConsumer) Close() error {
	var err error
	messaging.CloseWithin(messaging.CloseGrace, func() { err = c.kc.Close() })
	if err != nil {
		return fmt.Errorf("close Kafka consumer: %w", err)
	}
	return nil
}
