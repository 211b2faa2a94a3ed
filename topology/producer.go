package topology

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"openbank/topology/records"
)

// Message is one record to produce.
type Message struct {
	Topic   string
	Key     string // empty for no key
	Record  records.Record
	Headers []kafka.Header
}

// CommandIDHeader is the header that ties an event to the command it answers.
func CommandIDHeader(commandID string) kafka.Header {
	return kafka.Header{Key: HeaderCommandID, Value: []byte(commandID)}
}

// Producer writes bank records to Kafka in the wire format.
type Producer struct {
	kp    *kafka.Producer
	serde *Serde
	log   *slog.Logger
}

// NewProducer connects a producer with the bank's defaults (see ProducerConfig).
func NewProducer(cfg KafkaConfig, serde *Serde, log *slog.Logger) (*Producer, error) {
	conf := cfg.ProducerConfig()
	kp, err := kafka.NewProducer(&conf)
	if err != nil {
		return nil, fmt.Errorf("create Kafka producer: %w", err)
	}
	p := &Producer{kp: kp, serde: serde, log: log}
	go p.logEvents()
	return p, nil
}

// logEvents drains client-level events; delivery reports go to per-call channels.
func (p *Producer) logEvents() {
	for ev := range p.kp.Events() {
		if e, ok := ev.(kafka.Error); ok {
			p.log.Warn("kafka producer", "error", e, "code", e.Code())
		}
	}
}

// Send produces every message and returns once all are acknowledged, or with
// the first failure. Messages to one partition keep their order.
func (p *Producer) Send(ctx context.Context, msgs ...Message) error {
	raw := make([]*kafka.Message, 0, len(msgs))
	for _, m := range msgs {
		value, err := p.serde.Encode(m.Topic, m.Record)
		if err != nil {
			return err
		}
		raw = append(raw, rawMessage(m.Topic, m.Key, value, m.Headers))
	}
	return p.SendRaw(ctx, raw...)
}

// SendRaw produces messages whose values are already bytes (dead letters).
func (p *Producer) SendRaw(ctx context.Context, msgs ...*kafka.Message) error {
	wait, err := p.enqueue(ctx, msgs)
	if err != nil {
		return err
	}
	return wait(ctx)
}

// SendAsync produces every message, in order, without waiting for the
// acknowledgements: wait blocks until they are all acknowledged and returns the
// first failure. It lets a paced producer (the heartbeat) keep its clock while
// deliveries are confirmed elsewhere.
func (p *Producer) SendAsync(ctx context.Context, msgs ...Message) (wait func(context.Context) error, err error) {
	raw := make([]*kafka.Message, 0, len(msgs))
	for _, m := range msgs {
		value, err := p.serde.Encode(m.Topic, m.Record)
		if err != nil {
			return nil, err
		}
		raw = append(raw, rawMessage(m.Topic, m.Key, value, m.Headers))
	}
	return p.enqueue(ctx, raw)
}

// enqueue hands msgs to the client in order; wait collects their delivery
// reports. When enqueueing fails midway, the reports of what was enqueued are
// awaited before the error is returned.
func (p *Producer) enqueue(ctx context.Context, msgs []*kafka.Message) (wait func(context.Context) error, err error) {
	if len(msgs) == 0 {
		return func(context.Context) error { return nil }, nil
	}
	reports := make(chan kafka.Event, len(msgs))
	for sent, m := range msgs {
		for {
			err := p.kp.Produce(m, reports)
			if err == nil {
				break
			}
			var kerr kafka.Error
			if errors.As(err, &kerr) && kerr.Code() == kafka.ErrQueueFull {
				// The local queue is full: let deliveries drain, then try again.
				p.kp.Flush(100)
				continue
			}
			return nil, p.failAfter(ctx, reports, sent, fmt.Errorf("produce to %s: %w", *m.TopicPartition.Topic, err))
		}
	}
	return func(ctx context.Context) error { return p.failAfter(ctx, reports, len(msgs), nil) }, nil
}

// failAfter waits for n delivery reports and returns the first error among
// them, or first when it is set.
func (p *Producer) failAfter(ctx context.Context, reports chan kafka.Event, n int, first error) error {
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

func rawMessage(topic, key string, value []byte, headers []kafka.Header) *kafka.Message {
	m := &kafka.Message{
		TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny},
		Value:          value,
		Headers:        headers,
	}
	if key != "" {
		m.Key = []byte(key)
	}
	return m
}

// Close waits up to 5 s for queued messages, then closes the producer.
func (p *Producer) Close() {
	if left := p.kp.Flush(5000); left > 0 {
		p.log.Warn("kafka producer closed with undelivered messages", "count", left)
	}
	p.kp.Close()
}
