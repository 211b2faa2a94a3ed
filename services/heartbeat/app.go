package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"openbank/kit/service"
	"openbank/messaging"
	"openbank/topology/serde"

	"openbank/services/heartbeat/internal/beat"
	"openbank/services/heartbeat/internal/control"
)

// run continues the beat from the last one on the topic and sends at the
// configured pace until ctx ends.
func run(ctx context.Context, cfg config, ops *service.Ops, log *slog.Logger) error {
	ops.Starting("reading the last beat")
	metrics := newMetrics(ops.Metrics)
	serde := serde.NewSerde(serde.NewRegistry(cfg.kafka.Registry()))
	last, err := lastBeat(ctx, cfg.kafka, serde, log)
	if err != nil {
		return err
	}
	next := last + 1
	log.Info("continuing the beat", "next_beat", next)

	producer, err := messaging.NewProducer(cfg.kafka, serde, log)
	if err != nil {
		return err
	}
	defer producer.Close()

	loop := beat.New(producer, metrics, log, cfg.settings, cfg.paused, next)
	if err := serveControl(cfg, ops, loop); err != nil {
		return err
	}
	metrics.watch(loop)
	ops.SetReady(true)
	log.Info("heartbeat started", "http_port", cfg.service.HTTPPort, "control_addr", cfg.controlAddr,
		"control_token", cfg.controlToken != "", "rate", cfg.settings.Rate(),
		"batch_size", cfg.settings.BatchSize, "interval", cfg.settings.Interval.String(), "paused", cfg.paused)
	err = loop.Run(ctx)
	log.Info("heartbeat stopping", "next_beat", loop.Status().Beat)
	return err
}

// serveControl mounts the control API on the ops server, or serves it on
// CONTROL_ADDR beside it, shut down with it.
func serveControl(cfg config, ops *service.Ops, loop *beat.Loop) error {
	if cfg.controlAddr == "" {
		control.Routes(ops.Mux, loop, control.Access{Token: cfg.controlToken, Hosts: cfg.controlHosts,
			LoopbackOnly: cfg.controlToken == "" && !cfg.controlRemote})
		return nil
	}
	mux := http.NewServeMux()
	control.Routes(mux, loop, control.Access{Token: cfg.controlToken, Hosts: cfg.controlHosts})
	return ops.Serve("CONTROL_ADDR", cfg.controlAddr, mux, &service.Public{ReadTimeout: 10 * time.Second})
}
