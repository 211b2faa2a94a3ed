package messaging

import (
	"context"
	"log/slog"
	"time"

	"openbank/topology"
	"openbank/topology/records"
	"openbank/topology/serde"
)

// Message is one bank record to produce.
type Message struct {
	Topic   string
	Key     string // empty for no key
	Record  records.Record
	Headers []Header
}

// CommandIDHeader is the header that ties an event to the command it answers.
func CommandIDHeader(commandID string) Header {
	return Header{Key: topology.HeaderCommandID, Value: []byte(commandID)}
}

// Producer writes bank records to Kafka in the wire format: every write
// acknowledged by all in-sync replicas, idempotent so retries never duplicate
// or reorder, lz4-compressed, lingering Config.Linger.
type Producer struct {
	raw   RawProducer
	codec *serde.Serde
	log   *slog.Logger
}

// NewProducer connects a producer with the bank's defaults.
func NewProducer(cfg Config, codec *serde.Serde, log *slog.Logger) (*Producer, error) {
	client, err := clientOf(cfg)
	if err != nil {
		return nil, err
	}
	raw, err := client.NewProducer(cfg, log)
	if err != nil {
		return nil, err
	}
	return &Producer{raw: raw, codec: codec, log: log}, nil
}

// Send produces every message and returns once all are acknowledged, or with
// the first failure. Messages to one partition keep their order.
func (p *Producer) Send(ctx context.Context, msgs ...Message) error {
	wait, err := p.SendAsync(ctx, msgs...)
	if err != nil {
		return err
	}
	return wait(ctx)
}

// SendRaw produces messages whose values are already bytes (dead letters).
func (p *Producer) SendRaw(ctx context.Context, msgs ...RawMessage) error {
	wait, err := p.raw.Produce(ctx, msgs)
	if err != nil {
		return err
	}
	return wait(ctx)
}

// SendAsync produces every message, in order, without waiting for the
// acknowledgements: wait blocks until they are all acknowledged and returns the
// first failure. It lets a paced producer (the heartbeat) keep its clock while
// deliveries are confirmed elsewhere. Each message carries the trace context
// of ctx's span unless its headers carry one already (TraceHeaders).
func (p *Producer) SendAsync(ctx context.Context, msgs ...Message) (wait func(context.Context) error, err error) {
	raw := make([]RawMessage, 0, len(msgs))
	prop := installed.Load()
	for _, m := range msgs {
		value, err := p.codec.Encode(m.Topic, m.Record)
		if err != nil {
			return nil, err
		}
		rm := RawMessage{Topic: m.Topic, Value: value, Headers: prop.withTrace(ctx, m.Headers)}
		if m.Key != "" {
			rm.Key = []byte(m.Key)
		}
		raw = append(raw, rm)
	}
	return p.raw.Produce(ctx, raw)
}

// Close waits up to 5 s for queued messages, then closes the producer.
func (p *Producer) Close() {
	if left := p.raw.Close(5 * time.Second); left > 0 {
		p.log.Warn("kafka producer closed with undelivered messages", "count", left)
	}
}
