package messaging

import (
	"context"
	"strconv"

	"openbank/kit/retry"
	"openbank/topology/serde"
)

// Headers on a dead letter that say where it came from and why.
const (
	HeaderDeadLetterTopic     = "dead-letter-topic"
	HeaderDeadLetterPartition = "dead-letter-partition"
	HeaderDeadLetterOffset    = "dead-letter-offset"
	HeaderDeadLetterError     = "dead-letter-error"
)

func (c *Consumer) deadLetter(ctx context.Context, m RawRecord, why *serde.DecodeError) error {
	c.log.Error("undecodable record", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset,
		"error", why, "dead_letter_topic", c.opts.DeadLetterTopic)
	if c.opts.DeadLetterTopic == "" {
		return nil
	}
	dl := DeadLetter(c.opts.DeadLetterTopic, m, why)
	return retry.Do(ctx, c.log, "send dead letter", retry.Forever, func() error { return c.dead.SendRaw(ctx, dl) })
}

// DeadLetter is m for topic, byte for byte, with headers that say where it
// came from and why it was rejected.
func DeadLetter(topic string, m RawRecord, why error) RawMessage {
	headers := append([]Header{
		{Key: HeaderDeadLetterTopic, Value: []byte(m.Topic)},
		{Key: HeaderDeadLetterPartition, Value: []byte(strconv.Itoa(int(m.Partition)))},
		{Key: HeaderDeadLetterOffset, Value: []byte(strconv.FormatInt(m.Offset, 10))},
		{Key: HeaderDeadLetterError, Value: []byte(why.Error())},
	}, m.Headers...)
	return RawMessage{Topic: topic, Key: m.Key, Value: m.Value, Headers: headers}
}
