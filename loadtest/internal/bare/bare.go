// Package bare is the Kafka part of the memory floors that `loadtest floor`
// starts: a producer with the bank's settings and a reader that commits to a
// group, through openbank/messaging, that have sent one record, read it back
// and committed it. Its programs (client, service) link only what they say,
// so that what they hold idle is the least a service holds with it.
package bare

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"openbank/messaging"
)

// Ready is printed on stdout once a program has done its round; the floor
// reads its memory from then on.
const Ready = "ready"

// Round sends one record to topic, reads it back as group and commits it,
// and returns the open producer and reader (closed by close): idle, they are
// what a service's Kafka client holds.
func Round(ctx context.Context, cfg messaging.Config, topic, group string, log *slog.Logger) (closeAll func(), err error) {
	admin, err := messaging.NewAdmin(cfg, log)
	if err != nil {
		return nil, err
	}
	start, err := admin.Partitions(ctx, messaging.OffsetEnd, topic)
	admin.Close()
	if err != nil {
		return nil, err
	}
	reader, err := messaging.NewReader(cfg, start, group, log)
	if err != nil {
		return nil, err
	}
	producer, err := messaging.NewProducer(cfg, nil, log)
	if err != nil {
		_ = reader.Close()
		return nil, err
	}
	closeAll = func() { producer.Close(); _ = reader.Close() }
	if err := readBack(ctx, producer, reader, topic); err != nil {
		closeAll()
		return nil, err
	}
	return closeAll, nil
}

func readBack(ctx context.Context, producer *messaging.Producer, reader *messaging.Reader, topic string) error {
	key := strconv.FormatInt(time.Now().UnixNano(), 10)
	if err := producer.SendRaw(ctx, messaging.RawMessage{Topic: topic, Key: []byte(key), Value: make([]byte, 200)}); err != nil {
		return fmt.Errorf("produce to %s: %w", topic, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		recs, err := reader.Poll(ctx, 100, 200*time.Millisecond)
		if err != nil {
			return fmt.Errorf("read %s: %w", topic, err)
		}
		for _, r := range recs {
			if string(r.Key) != key {
				continue
			}
			next := map[messaging.TopicPartition]int64{{Topic: r.Topic, Partition: r.Partition}: r.Offset + 1}
			return reader.Commit(ctx, next)
		}
	}
	return fmt.Errorf("the record sent to %s was not read back within 30 s", topic)
}
