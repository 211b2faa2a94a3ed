// Command synchronizer creates the bank's topics and registers its schemas, so
// the cluster matches the topology before any service starts.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"openbank/services/synchronizer/internal/adapters"
	"openbank/services/synchronizer/internal/sync"
	"openbank/topology"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "synchronizer:", err)
		os.Exit(1)
	}
}

func run() error {
	dryRun := flag.Bool("dry-run", false, "report what would change, change nothing")
	deleteUnknown := flag.Bool("delete-unknown", false, "delete topics that are not in the topology (never internal ones)")
	wait := flag.Duration("wait", 60*time.Second, "how long to wait for the broker and the registry to answer")
	flag.Parse()

	env := topology.NewEnv()
	cfg := topology.ReadKafkaConfig(env, "synchronizer")
	if err := env.Err(); err != nil {
		return err
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	cluster, err := adapters.NewCluster(cfg, slog.Default())
	if err != nil {
		return err
	}
	defer cluster.Close()
	registry := adapters.NewRegistry(cfg.RegistryURL)

	if err := cluster.WaitForBrokers(ctx, *wait); err != nil {
		return fmt.Errorf("kafka at %s (KAFKA_BROKERS) %w", cfg.Brokers, err)
	}
	if err := registry.WaitUntilAnswering(ctx, *wait); err != nil {
		return fmt.Errorf("schema registry at %s (SCHEMA_REGISTRY_URL) %w", cfg.RegistryURL, err)
	}

	rep, err := sync.Run(ctx, cluster, registry, topology.Topics(), sync.Options{DryRun: *dryRun, DeleteUnknown: *deleteUnknown}, os.Stdout)
	fmt.Printf("created %d, changed %d, unchanged %d, mismatched %d\n", rep.Created, rep.Changed, rep.Unchanged, rep.Mismatched)
	var incompatible *sync.IncompatibleSchemaError
	if errors.As(err, &incompatible) {
		return fmt.Errorf("refusing the change: %w", err)
	}
	return err
}
