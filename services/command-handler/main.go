// Command command-handler is the heart of the bank: it reads commands, decides
// them with the bank rules against balancedb, and answers with feedback and
// BalanceChanged events. `command-handler migrate` only applies the schema.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"openbank/services/command-handler/internal/handler"
	"openbank/services/command-handler/internal/store"
	"openbank/topology"
	"openbank/topology/observe"
)

// shutdownGrace is how long a SIGTERM may take; past it the process exits
// anyway, which loses nothing: uncommitted offsets are read again.
const shutdownGrace = 9 * time.Second

type config struct {
	kafka     topology.KafkaConfig
	db        store.Config
	group     string
	httpPort  int
	batchSize int
	batchWait time.Duration
	migrate   bool
	pprof     bool
	// How long a crashed instance's partitions wait before another takes them.
	sessionTimeout time.Duration
	// Bounds the records fetched ahead of the handler: a few batches ahead
	// is all that helps.
	maxBuffered int
}

func readConfig() (config, error) {
	env := topology.NewEnv()
	c := config{
		kafka: topology.ReadKafkaConfig(env, "command-handler"),
		db: store.Config{
			Host:     env.String("DB_HOSTNAME", "localhost"),
			Port:     env.Int("DB_PORT", 5432, 1, 65535),
			User:     env.String("DB_USER", "command_handler"),
			Password: env.String("DB_PASSWORD", "open-bank"),
			Database: env.String("DB_NAME", "balancedb"),
			SSLMode:  env.String("DB_SSLMODE", "prefer"),
			MaxConns: int32(env.Int("DB_MAX_CONNS", 4, 2, 100)),
		},
		group:          env.String("KAFKA_GROUP_ID", "command-handler"),
		httpPort:       env.Int("HTTP_PORT", 8090, 1, 65535),
		batchSize:      env.Int("COMMAND_BATCH_SIZE", 500, 1, 100_000),
		batchWait:      time.Duration(env.Int("COMMAND_BATCH_WAIT_MS", 0, 0, 10_000)) * time.Millisecond,
		migrate:        env.Bool("MIGRATE_ON_START", true),
		pprof:          env.Bool("PPROF", false),
		sessionTimeout: time.Duration(env.Int("KAFKA_SESSION_TIMEOUT_MS", 10_000, 6_000, 300_000)) * time.Millisecond,
		maxBuffered:    env.Int("KAFKA_QUEUED_MAX_KBYTES", 1024, 64, 2_097_151) * 1024,
	}
	if strings.TrimSpace(os.Getenv("KAFKA_LINGER_MS")) == "" {
		// A batch's events are produced at once and then waited for: lingering
		// would only add to every command's latency.
		c.kafka.Linger = 0
	}
	switch c.db.SSLMode {
	case "disable", "allow", "prefer", "require", "verify-ca", "verify-full":
	default:
		env.Check(false, "DB_SSLMODE", "want disable, allow, prefer, require, verify-ca or verify-full")
	}
	return c, env.Err()
}

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	cfg, err := readConfig()
	if err != nil {
		log.Error("configuration", "error", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	if len(os.Args) > 1 {
		if os.Args[1] != "migrate" || len(os.Args) > 2 {
			fmt.Fprintln(os.Stderr, "usage: command-handler [migrate]")
			os.Exit(2)
		}
		if err := migrate(ctx, cfg.db, log); err != nil {
			log.Error("migrate", "error", err)
			os.Exit(1)
		}
		return
	}
	if err := run(ctx, cfg, log); err != nil {
		log.Error("command handler stopped", "error", err)
		os.Exit(1)
	}
}

// migrate applies the migrations, waiting for the database to come up.
func migrate(ctx context.Context, db store.Config, log *slog.Logger) error {
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		v, err := store.Migrate(db)
		if err == nil {
			log.Info("schema up to date", "version", v)
			return nil
		}
		log.Warn("migrations failed; retrying", "error", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

func run(ctx context.Context, cfg config, log *slog.Logger) error {
	// A shutdown that hangs (the database gone, say) must not outlive its grace.
	context.AfterFunc(ctx, func() {
		time.AfterFunc(shutdownGrace, func() {
			log.Error("shutdown took too long; exiting", "grace", shutdownGrace)
			os.Exit(1)
		})
	})

	// Spans only when OTEL_EXPORTER_OTLP_ENDPOINT is set.
	stopTracing, err := observe.StartTracing(ctx, "command-handler", log)
	if err != nil {
		return err
	}
	defer observe.StopTracing(stopTracing, log)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	var ready atomic.Bool
	var db atomic.Pointer[store.Store]
	srv := &http.Server{Addr: net.JoinHostPort("", strconv.Itoa(cfg.httpPort)), Handler: routes(reg, &ready, &db, cfg.pprof),
		ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		return fmt.Errorf("listen on HTTP_PORT %d: %w", cfg.httpPort, err)
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server", "error", err)
		}
	}()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	if cfg.migrate {
		if err := migrate(ctx, cfg.db, log); err != nil {
			return err
		}
	}
	st, err := store.Open(ctx, cfg.db)
	if err != nil {
		return err
	}
	defer st.Close()
	db.Store(st)

	serde := topology.NewSerde(topology.NewRegistry(cfg.kafka.RegistryURL))
	producer, err := topology.NewProducer(cfg.kafka, serde, log)
	if err != nil {
		return err
	}
	defer producer.Close()
	consumer, err := topology.NewConsumer(cfg.kafka, serde, producer, topology.ConsumerOptions{
		Group:            cfg.group,
		Topics:           []string{topology.TopicCommands},
		MaxBatch:         cfg.batchSize,
		BatchWait:        cfg.batchWait,
		DeadLetterTopic:  topology.TopicCommandsDeadLetter,
		SessionTimeout:   cfg.sessionTimeout,
		MaxBufferedBytes: cfg.maxBuffered,
	}, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := consumer.Close(); err != nil {
			log.Warn("close consumer", "error", err)
		}
	}()
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "command_handler_consumer_lag",
		Help: "Records of the assigned commands partitions not yet read.",
	}, func() float64 {
		lag, err := consumer.Lag()
		if err != nil {
			return -1
		}
		return float64(lag)
	}))

	h := handler.New(st, producer, topology.TopicCommandsDeadLetter, handler.NewMetrics(reg), log)
	ready.Store(true)
	log.Info("command handler started", "group", cfg.group, "batch_size", cfg.batchSize,
		"batch_wait", cfg.batchWait, "http_port", cfg.httpPort)
	err = consumer.Run(ctx, h.Handle)
	ready.Store(false)
	log.Info("command handler stopping")
	return err
}

// routes serves /healthz (the process runs), /readyz (it consumes and the
// database answers) and /metrics.
func routes(reg *prometheus.Registry, ready *atomic.Bool, db *atomic.Pointer[store.Store], withPprof bool) http.Handler {
	mux := http.NewServeMux()
	if withPprof {
		// Profiles on demand (PPROF=true), for finding where CPU and memory go.
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		st := db.Load()
		if !ready.Load() || st == nil {
			http.Error(w, "starting or stopping", http.StatusServiceUnavailable)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), time.Second)
		defer cancel()
		if err := st.Ping(ctx); err != nil {
			http.Error(w, "database: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return mux
}
