package main

import (
	"context"
	"log/slog"

	"openbank/kit/metric"
	"openbank/kit/observe"
	"openbank/kit/service"
	"openbank/messaging"
	"openbank/services/command-handler/internal/adapters/balancedb"
	"openbank/services/command-handler/internal/app/commands"
	"openbank/services/command-handler/internal/domain/tokens"
	"openbank/topology"
	"openbank/topology/serde"
)

// run opens the database, connects to Kafka and handles commands until ctx ends.
func run(ctx context.Context, cfg config, ops *service.Ops, log *slog.Logger) error {
	// Spans only when OTEL_EXPORTER_OTLP_ENDPOINT is set.
	stopTracing, err := observe.StartTracing(ctx, "command-handler", log)
	if err != nil {
		return err
	}
	defer observe.StopTracing(stopTracing, log)

	db, err := openDatabase(ctx, cfg, ops, log)
	if err != nil {
		return err
	}
	defer db.Close()
	keyed := tokens.New(cfg.tokenKey)
	if err := db.SetBankToken(ctx, keyed.Hash(cfg.bankToken)); err != nil {
		return err
	}
	if err := keepWindow(ctx, db, cfg.dedupWindow, log); err != nil {
		return err
	}

	serde := serde.NewSerde(serde.NewRegistry(cfg.kafka.Registry()))
	producer, err := messaging.NewProducer(cfg.kafka, serde, log)
	if err != nil {
		return err
	}
	defer producer.Close()
	// Before deciding on partitions just assigned, re-send what a crashed
	// instance decided there but perhaps never published.
	recovery := commands.NewRecovery(db, producer, keyed, log)
	consumer, err := joinCommands(cfg, serde, producer, recovery.OnAssigned, ops.Metrics, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := consumer.Close(); err != nil {
			log.Warn("close consumer", "error", err)
		}
	}()

	h := commands.New(db, producer, topology.TopicCommandsDeadLetter, keyed, commands.NewMetrics(ops.Metrics), log)
	h.Recovery = recovery
	ops.SetReady(true)
	log.Info("command handler started", "group", cfg.group, "group_instance_id", cfg.instanceID, "batch_size", cfg.batchSize,
		"batch_wait", cfg.batchWait, "pipeline", cfg.pipeline, "http_port", cfg.service.HTTPPort)
	// The path of a batch, and why a crash anywhere on it is safe: internal/app/commands/path.go.
	err = consumer.RunStage(ctx, h.Stage())
	ops.SetReady(false)
	log.Info("command handler stopping")
	return err
}

// openDatabase migrates balancedb when MIGRATE_ON_START says so and opens it;
// from then on readiness includes a database ping.
func openDatabase(ctx context.Context, cfg config, ops *service.Ops, log *slog.Logger) (*balancedb.Store, error) {
	if cfg.migrate {
		ops.Starting("migrating balancedb")
		if err := migrate(ctx, cfg.db, log); err != nil {
			return nil, err
		}
	}
	ops.Starting("connecting to balancedb and Kafka")
	db, err := balancedb.Open(ctx, cfg.db)
	if err != nil {
		return nil, err
	}
	ops.AddCheck("database", db.Ping)
	return db, nil
}

// joinCommands joins the consumer group on the commands topic and exposes its lag.
func joinCommands(cfg config, serde *serde.Serde, producer *messaging.Producer,
	onAssigned func(context.Context, map[messaging.TopicPartition]int64) error,
	set *metric.Set, log *slog.Logger) (*messaging.Consumer, error) {
	consumer, err := messaging.NewConsumer(cfg.kafka, serde, producer, messaging.ConsumerOptions{
		Group:            cfg.group,
		Topics:           []string{topology.TopicCommands},
		MaxBatch:         cfg.batchSize,
		BatchWait:        cfg.batchWait,
		DeadLetterTopic:  topology.TopicCommandsDeadLetter,
		SessionTimeout:   cfg.sessionTimeout,
		MaxBufferedBytes: cfg.maxBuffered,
		GroupInstanceID:  cfg.instanceID,
		OnAssigned:       onAssigned,
		Overlap:          cfg.pipeline,
	}, log)
	if err != nil {
		return nil, err
	}
	commands.ObserveLag(set, consumer.Lag)
	return consumer, nil
}
