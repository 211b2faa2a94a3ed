package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"openbank/loadtest/internal/floor"
	"openbank/loadtest/internal/run"
	"openbank/topology"
)

// floorCommand measures the floor under the bank's latency on this machine
// and stack: the Kafka round trip per client and a PostgreSQL commit.
func floorCommand(args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: loadtest floor [flags]

Measures, on the stack of the environment (source $STACK_DIR/env), a bare Kafka
produce → consume round trip with the bank's producer and consumer settings for
each Kafka client, a batch spread over many partitions until acknowledged (as the
command handler publishes its events), and a PostgreSQL commit; prints p50/p99 and writes a JSON file
that 'loadtest report --floor' sets beside the bank's latency.

`)
		fs.PrintDefaults()
	}
	clientList := fs.String("clients", strings.Join(topology.Clients(), ","), "Kafka clients to measure")
	records := fs.Int("records", 1000, "round trips per client")
	spread := fs.Int("spread", 48, "records per spread batch (0: none), sent over the 24 partitions of "+floor.SpreadTopic)
	batches := fs.Int("batches", 300, "spread batches per client")
	commits := fs.Int("commits", 1000, "PostgreSQL commits")
	interval := fs.Duration("interval", 5*time.Millisecond, "pause between two round trips or commits")
	dsn := fs.String("dsn", defaultDSN(), "PostgreSQL connection string")
	out := fs.String("out", "floor.json", "result file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	res := floor.Result{Time: time.Now().UTC(), Kafka: map[string]floor.KafkaFloor{}}
	for _, client := range splitList(*clientList) {
		env := topology.NewEnv()
		cfg := topology.ReadKafkaConfig(env, "loadtest-floor")
		if err := env.Err(); err != nil {
			return err
		}
		cfg.Client = client
		fmt.Fprintf(os.Stderr, "floor: Kafka round trips with %s …\n", client)
		k, err := floor.Kafka(ctx, cfg, *records, *interval, log)
		if err != nil {
			return fmt.Errorf("%s: %w", client, err)
		}
		if *spread > 0 {
			fmt.Fprintf(os.Stderr, "floor: batches of %d records over %d partitions with %s …\n", *spread, floor.SpreadPartitions, client)
			b, err := floor.SpreadBatch(ctx, cfg, *batches, *spread, *interval, log)
			if err != nil {
				return fmt.Errorf("%s: %w", client, err)
			}
			k.SpreadBatch, k.SpreadSize = &b, *spread
		}
		res.Kafka[client] = k
	}
	fmt.Fprintln(os.Stderr, "floor: PostgreSQL commits …")
	pg, err := floor.Postgres(ctx, *dsn, *commits, *interval)
	if err != nil {
		return err
	}
	res.PostgresCommit = pg
	res.Load1 = run.ThisLoad()

	fmt.Printf("%-28s %8s %8s %8s\n", "floor (ms)", "p50", "p99", "n")
	for _, client := range splitList(*clientList) {
		k := res.Kafka[client]
		fmt.Printf("%-28s %8.2f %8.2f %8d\n", "kafka "+client+" acknowledged", k.Acknowledged.P50, k.Acknowledged.P99, k.Acknowledged.N)
		fmt.Printf("%-28s %8.2f %8.2f %8d\n", "kafka "+client+" round trip", k.RoundTrip.P50, k.RoundTrip.P99, k.RoundTrip.N)
		if b := k.SpreadBatch; b != nil {
			fmt.Printf("%-28s %8.2f %8.2f %8d\n", fmt.Sprintf("kafka %s batch of %d", client, k.SpreadSize), b.P50, b.P99, b.N)
		}
	}
	fmt.Printf("%-28s %8.2f %8.2f %8d\n", "postgresql commit", pg.P50, pg.P99, pg.N)
	fmt.Printf("load average (1 min) %.2f\n", res.Load1)
	if dir := filepath.Dir(*out); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	return writeJSON(*out, res)
}

// defaultDSN is the command handler's database of the stack's environment.
func defaultDSN() string {
	get := func(k, def string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return def
	}
	return fmt.Sprintf("host=%s port=%s user=%s password=%s dbname=%s sslmode=disable",
		get("DB_HOSTNAME", "127.0.0.1"), get("DB_PORT", "5432"), get("DB_USER", "command_handler"),
		get("DB_PASSWORD", "open-bank"), get("DB_NAME", "balancedb"))
}
