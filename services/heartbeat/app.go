package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
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
	metrics := newMetrics(ops.Registry)
	serde := serde.NewSerde(serde.NewRegistry(cfg.kafka.RegistryURL))
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
	controlErr, err := serveControl(cfg, ops, loop)
	if err != nil {
		return err
	}
	metrics.watch(loop)
	ops.SetReady(true)
	log.Info("heartbeat started", "http_port", cfg.service.HTTPPort, "control_addr", cfg.controlAddr,
		"control_token", cfg.controlToken != "", "rate", cfg.settings.Rate(),
		"batch_size", cfg.settings.BatchSize, "interval", cfg.settings.Interval.String(), "paused", cfg.paused)
	done := make(chan error, 1)
	go func() { done <- loop.Run(ctx) }()
	select {
	case err := <-controlErr:
		return fmt.Errorf("control API: %w", err)
	case err = <-done:
	}
	log.Info("heartbeat stopping", "next_beat", loop.Status().Beat)
	return err
}

// serveControl mounts the control API on the ops server, or serves it on
// CONTROL_ADDR of its own; the channel reports that server's end.
func serveControl(cfg config, ops *service.Ops, loop *beat.Loop) (<-chan error, error) {
	errs := make(chan error, 1)
	if cfg.controlAddr == "" {
		control.Routes(ops.Mux, loop, control.Access{Token: cfg.controlToken, Hosts: cfg.controlHosts,
			LoopbackOnly: cfg.controlToken == "" && !cfg.controlRemote})
		return errs, nil
	}
	mux := http.NewServeMux()
	control.Routes(mux, loop, control.Access{Token: cfg.controlToken, Hosts: cfg.controlHosts})
	ln, err := net.Listen("tcp", cfg.controlAddr)
	if err != nil {
		return nil, fmt.Errorf("control API: listen on %s: %w", cfg.controlAddr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second}
	go func() { errs <- srv.Serve(ln) }()
	return errs, nil
}
