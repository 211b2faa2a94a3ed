// Command synchronizer creates the bank's topics and registers its schemas, so
// the cluster matches the topology before any service starts. It runs once:
// its report goes to stdout, its log (JSON) to stderr.
package main

import (
	_ "openbank/messaging/clients"

	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"openbank/kit/env"
	"openbank/kit/service"
	"openbank/messaging"
	"openbank/services/synchronizer/internal/adapters"
	"openbank/services/synchronizer/internal/reconcile"
	"openbank/topology"
)

type config struct {
	kafka    messaging.Config
	logLevel slog.Level
	options  reconcile.Options
	wait     time.Duration
}

func readConfig(env *env.Env) (config, error) {
	c := config{kafka: messaging.ReadConfig(env, "synchronizer"), logLevel: service.ReadLogLevel(env)}
	flag.BoolVar(&c.options.DryRun, "dry-run", false, "report what would change, change nothing")
	flag.BoolVar(&c.options.DeleteUnknown, "delete-unknown", false, "delete topics that are not in the topology (never internal ones)")
	flag.DurationVar(&c.wait, "wait", 60*time.Second, "how long to wait for the broker and the registry to answer")
	flag.Parse()
	return c, env.Err()
}

func main() {
	cfg, err := readConfig(env.New())
	log := service.NewLogger(cfg.logLevel)
	service.CheckConfig(log, err)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log); err != nil {
		log.Error("synchronizer failed", "error", err)
		stop()
		os.Exit(1)
	}
}

// run waits for the broker and the registry, then brings both into shape.
func run(ctx context.Context, cfg config, log *slog.Logger) error {
	cluster, err := adapters.NewCluster(cfg.kafka, log)
	if err != nil {
		return err
	}
	defer cluster.Close()
	registry := adapters.NewRegistry(cfg.kafka.Registry())

	if err := cluster.WaitForBrokers(ctx, cfg.wait); err != nil {
		return fmt.Errorf("kafka at %s (KAFKA_BROKERS) %w", cfg.kafka.Brokers, err)
	}
	if err := registry.WaitUntilAnswering(ctx, cfg.wait); err != nil {
		return fmt.Errorf("schema registry at %s (SCHEMA_REGISTRY_URL) %w", cfg.kafka.RegistryURL, err)
	}

	rep, err := reconcile.Run(ctx, cluster, registry, topology.Topics(), cfg.options, os.Stdout)
	fmt.Printf("created %d, changed %d, unchanged %d, mismatched %d\n", rep.Created, rep.Changed, rep.Unchanged, rep.Mismatched)
	var incompatible *reconcile.IncompatibleSchemaError
	if errors.As(err, &incompatible) {
		return fmt.Errorf("refusing the change: %w", err)
	}
	return err
}
