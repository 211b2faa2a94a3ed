// Command bareclient is the memory floor of a Kafka client in this bank: a
// producer with the bank's settings and a reader that commits to a group,
// through openbank/messaging, with no database, HTTP or tracing. It sends one
// record to the floor topic, reads it back, commits, prints "ready" and then
// idles until SIGTERM. `loadtest floor` builds it once per client, as the
// services are built (cgo only for librdkafka), and reads its memory.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"openbank/kit/env"
	"openbank/kit/service"
	"openbank/messaging"
	_ "openbank/messaging/clients"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := run(log); err != nil {
		log.Error("bare client", "error", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	service.OneThread() // as the services run
	e := env.New()
	cfg := messaging.ReadConfig(e, "loadtest-bare-client")
	topic := e.String("BARE_CLIENT_TOPIC", "loadtest_floor", "the topic to send to and read from")
	if err := e.Err(); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	admin, err := messaging.NewAdmin(cfg, log)
	if err != nil {
		return err
	}
	start, err := admin.Partitions(ctx, messaging.OffsetEnd, topic)
	admin.Close()
	if err != nil {
		return err
	}
	group := "loadtest-bare-" + cfg.Client
	reader, err := messaging.NewReader(cfg, start, group, log)
	if err != nil {
		return err
	}
	defer func() { _ = reader.Close() }()
	producer, err := messaging.NewProducer(cfg, nil, log)
	if err != nil {
		return err
	}
	defer producer.Close()

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
			if err := reader.Commit(ctx, next); err != nil {
				return err
			}
			fmt.Println("ready")
			<-ctx.Done()
			return nil
		}
	}
	return fmt.Errorf("the record sent to %s was not read back within 30 s", topic)
}
