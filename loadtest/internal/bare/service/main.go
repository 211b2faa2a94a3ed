// Command service is the memory floor of a service of this bank: the Kafka
// round of package bare inside what every service starts beside it — the
// ops server, JSON log and tracing switch of kit/service, a PostgreSQL pool
// (pgx) that has answered a query, and the schema registry client with Avro
// (topology/serde) that has encoded a record — and none of the bank's rules
// or migrations. It prints "ready" once done and then idles until SIGTERM;
// `loadtest floor` builds it as the services are built and reads its memory.
package main

import (
	"context"
	"fmt"
	"os"

	"openbank/kit/env"
	"openbank/kit/pgpool"
	"openbank/kit/service"
	"openbank/loadtest/internal/bare"
	"openbank/messaging"
	_ "openbank/messaging/clients"
	"openbank/topology"
	"openbank/topology/records"
	"openbank/topology/serde"

	"github.com/jackc/pgx/v5/pgxpool"
)

func main() {
	e := env.New()
	cfg := service.ReadConfig(e, 8099)
	cfg.MemoryLimit = service.SoftMemoryLimit(32) // the command handler's
	kafka := messaging.ReadConfig(e, "loadtest-bare-service")
	topic := e.String("BARE_TOPIC", "loadtest_floor", "the topic to send to and read from")
	dsn := e.String("BARE_DSN", "", "the PostgreSQL connection string")
	e.Check(dsn != "", "BARE_DSN", "want a PostgreSQL connection string")
	log := service.NewLogger(cfg.LogLevel)
	service.CheckConfig(log, e.Err())
	service.Main("bare-service", cfg, log, func(ctx context.Context, ops *service.Ops) error {
		pc, err := pgpool.Config(dsn, 4) // the command handler's pool size
		if err != nil {
			return err
		}
		pool, err := pgxpool.NewWithConfig(ctx, pc)
		if err != nil {
			return fmt.Errorf("open the database pool: %w", err)
		}
		defer pool.Close()
		var one int
		if err := pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
			return fmt.Errorf("query the database: %w", err)
		}
		ops.AddCheck("database", pool.Ping)

		codec := serde.NewSerde(serde.NewRegistry(kafka.Registry()))
		if _, err := codec.Encode(topology.TopicBalanceChanged, &records.BalanceChanged{IBAN: "NL66OPEN0000000000"}); err != nil {
			return fmt.Errorf("encode a record with the registry's schema: %w", err)
		}

		closeAll, err := bare.Round(ctx, kafka, topic, "loadtest-bare-service-"+kafka.Client, log)
		if err != nil {
			return err
		}
		defer closeAll()
		ops.SetReady(true)
		fmt.Fprintln(os.Stdout, bare.Ready)
		<-ctx.Done()
		return nil
	})
}
