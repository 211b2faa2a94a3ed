// Command heartbeat sends Heartbeat{beat} records at a pace set through its
// HTTP control API; the command generator turns each beat into a command.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
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
	// control API: its own listener at controlAddr when set, else on
	// httpPort answering only this host's clients unless a token is set.
	controlAddr   string
	controlToken  string
	controlRemote bool
	settings      pace.Settings
	paused        bool
}

func readConfig(env *topology.Env) (config, error) {
	c := config{
		kafka:    topology.ReadKafkaConfig(env, "heartbeat"),
		httpPort: env.Int("HTTP_PORT", 17888, 1, 65535),
		paused:   env.Bool("HEARTBEAT_PAUSED", false),
		// Unset: the control API answers on HTTP_PORT, to this host only (or with the token).
		controlAddr:  env.String("CONTROL_ADDR", ""),
		controlToken: env.String("CONTROL_TOKEN", ""),
		// Only where the port is reachable from this host alone (a port
		// published to 127.0.0.1): a container's peer is never loopback.
		controlRemote: env.Bool("CONTROL_ALLOW_REMOTE", false),
	}
	if c.controlAddr != "" {
		_, port, err := net.SplitHostPort(c.controlAddr)
		env.Check(err == nil && port != "" && port != strconv.Itoa(c.httpPort), "CONTROL_ADDR",
			"want host:port (e.g. 127.0.0.1:17889), another port than HTTP_PORT")
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
	ops := topology.StartOps(cfg.httpPort, metrics.handler(), "reading the last beat")
	defer ops.Shutdown()

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
	controlErr := make(chan error, 1)
	if cfg.controlAddr != "" {
		mux := http.NewServeMux()
		control.Routes(mux, loop, control.Access{Token: cfg.controlToken})
		ln, err := net.Listen("tcp", cfg.controlAddr)
		if err != nil {
			return fmt.Errorf("control API: listen on %s: %w", cfg.controlAddr, err)
		}
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second}
		go func() { controlErr <- srv.Serve(ln) }()
		defer srv.Close()
	} else {
		control.Routes(ops.Mux, loop, control.Access{Token: cfg.controlToken,
			LoopbackOnly: cfg.controlToken == "" && !cfg.controlRemote})
	}
	metrics.watch(loop)
	ops.SetReady()
	log.Info("heartbeat started", "http_port", cfg.httpPort, "control_addr", cfg.controlAddr, "control_token", cfg.controlToken != "", "rate", cfg.settings.Rate(),
		"batch_size", cfg.settings.BatchSize, "interval", cfg.settings.Interval.String(), "paused", cfg.paused)

	done := make(chan error, 1)
	go func() { done <- loop.Run(ctx) }()
	select {
	case err := <-controlErr:
		stop()
		<-done
		return fmt.Errorf("control API: %w", err)
	case err := <-ops.Err():
		stop()
		<-done
		return err
	case err := <-done:
		log.Info("heartbeat stopping", "next_beat", loop.Status().Beat)
		return err
	}
}
