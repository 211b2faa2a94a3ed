// Command client is the memory floor of a Kafka client in this bank: the
// round of package bare (a producer and a committing reader through
// openbank/messaging) with no database, HTTP or tracing. It prints "ready"
// once done and then idles until SIGTERM. `loadtest floor` builds it once
// per client, as the services are built (cgo only for librdkafka), and reads
// its memory.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"openbank/kit/env"
	"openbank/kit/service"
	"openbank/loadtest/internal/bare"
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
	topic := e.String("BARE_TOPIC", "loadtest_floor", "the topic to send to and read from")
	if err := e.Err(); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	closeAll, err := bare.Round(ctx, cfg, topic, "loadtest-bare-"+cfg.Client, log)
	if err != nil {
		return err
	}
	defer closeAll()
	fmt.Println(bare.Ready)
	<-ctx.Done()
	return nil
}
