// Command heartbeat sends Heartbeat{beat} records at a pace set through its
// HTTP control API; the command generator turns each beat into a command.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"openbank/services/heartbeat/internal/beat"
	"openbank/services/heartbeat/internal/control"
	"openbank/services/heartbeat/internal/pace"
	"openbank/topology"
)

type config struct {
	kafka    topology.KafkaConfig
	httpPort int
	settings pace.Settings
	paused   bool
}

func readConfig(env *topology.Env) (config, error) {
	c := config{
		kafka:    topology.ReadKafkaConfig(env, "heartbeat"),
		httpPort: env.Int("HTTP_PORT", 17888, 1, 65535),
		paused:   env.Bool("HEARTBEAT_PAUSED", false),
	}
	// Like the original: nothing is sent until the load test sets a pace.
	c.settings = pace.Settings{
		BatchSize: env.Int("HEARTBEAT_BATCH_SIZE", 0, 0, pace.MaxBatchSize),
		Interval:  env.Duration("HEARTBEAT_INTERVAL", 100*time.Millisecond, pace.MinInterval, pace.MaxInterval),
	}
	if raw := env.String("HEARTBEAT_RATE", ""); raw != "" {
		batchSet := env.String("HEARTBEAT_BATCH_SIZE", "") != ""
		env.Check(!batchSet, "HEARTBEAT_RATE", "set either HEARTBEAT_RATE or HEARTBEAT_BATCH_SIZE (with HEARTBEAT_INTERVAL), not both")
		rate, err := strconv.ParseFloat(raw, 64)
		s, rerr := pace.FromRate(rate, c.settings.Interval)
		env.Check(err == nil && rerr == nil, "HEARTBEAT_RATE", fmt.Sprintf("want messages per second from 0 to %d", pace.MaxRate))
		if err == nil && rerr == nil {
			c.settings = s
		}
	}
	if err := c.settings.Validate(); err != nil {
		env.Check(false, "HEARTBEAT_BATCH_SIZE", err.Error())
	}
	return c, env.Err()
}

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	if err := run(log); err != nil {
		log.Error("heartbeat stopped", "error", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	cfg, err := readConfig(topology.NewEnv())
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	metrics := newMetrics()
	var ready atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready.Load() {
			http.Error(w, "starting: reading the last beat", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", metrics.handler())
	srv := &http.Server{Addr: fmt.Sprintf(":%d", cfg.httpPort), Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	serveErr := make(chan error, 1)
	go func() {
		if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			serveErr <- fmt.Errorf("serve HTTP on :%d: %w", cfg.httpPort, err)
		}
	}()
	defer func() {
		shutCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutCtx)
	}()

	serde := topology.NewSerde(topology.NewRegistry(cfg.kafka.RegistryURL))
	last, err := lastBeat(ctx, cfg.kafka, serde, log)
	if err != nil {
		return err
	}
	next := last + 1
	log.Info("continuing the beat", "next_beat", next)

	producer, err := topology.NewProducer(cfg.kafka, serde, log)
	if err != nil {
		return err
	}
	defer producer.Close()

	loop := beat.New(producer, metrics, log, cfg.settings, cfg.paused, next)
	control.Routes(mux, loop)
	metrics.watch(loop)
	ready.Store(true)
	log.Info("heartbeat started", "http_port", cfg.httpPort, "rate", cfg.settings.Rate(),
		"batch_size", cfg.settings.BatchSize, "interval", cfg.settings.Interval.String(), "paused", cfg.paused)

	done := make(chan error, 1)
	go func() { done <- loop.Run(ctx) }()
	select {
	case err := <-serveErr:
		stop()
		<-done
		return err
	case err := <-done:
		log.Info("heartbeat stopping", "next_beat", loop.Status().Beat)
		return err
	}
}
