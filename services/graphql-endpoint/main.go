// Command graphql-endpoint is the bank's GraphQL gateway: the browser's API
// for accounts, money transfers and live transactions (see docs/design.md).
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof" // served only when PPROF_PORT is set
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"openbank/services/graphql-endpoint/graph"
	"openbank/services/graphql-endpoint/graph/generated"
	"openbank/services/graphql-endpoint/internal/gateway"
	"openbank/services/graphql-endpoint/internal/httpapi"
	"openbank/services/graphql-endpoint/internal/store"
	"openbank/topology"
	"openbank/topology/observe"
)

type config struct {
	kafka        topology.KafkaConfig
	db           store.Config
	httpPort     int
	staticDir    string
	staticPort   int
	pprofPort    int // 0: off; else net/http/pprof on 127.0.0.1 only
	opsPort      int // 0: /metrics and GraphiQL on httpPort
	introspect   bool
	cors         []string
	group        string
	feedbackWait time.Duration
	streamGrace  time.Duration
	sendTimeout  time.Duration
	shutdownWait time.Duration
	hashSlots    int
	maxLast      int
	limits       httpapi.Limits
	conns        connLimits
	logLevel     slog.Level
}

// connLimits bound what one client's connections can hold.
type connLimits struct {
	readTimeout  time.Duration // whole request, body included (not WebSockets)
	idleTimeout  time.Duration // keep-alive between requests
	writeTimeout time.Duration // each write, WebSockets included
	perClient    int           // open connections per remote address
}

func readConfig(env *topology.Env) config {
	var c config
	c.kafka = topology.ReadKafkaConfig(env, "graphql-endpoint")
	c.db = store.Config{
		Host:     env.String("DB_HOSTNAME", "localhost"),
		Port:     env.Int("DB_PORT", 5432, 1, 65535),
		User:     env.String("DB_USER", "graphql_endpoint"),
		Password: env.String("DB_PASSWORD", "open-bank"),
		Database: env.String("DB_NAME", "transactiondb"),
		SSLMode:  env.String("DB_SSLMODE", ""),
		MaxConns: env.Int("DB_MAX_CONNS", 10, 2, 1000),
		// on (durable) unless set; see store.Config.
		SynchronousCommit: env.String("DB_SYNCHRONOUS_COMMIT", ""),
	}
	switch c.db.SSLMode {
	case "", "disable", "allow", "prefer", "require", "verify-ca", "verify-full":
	default:
		env.Check(false, "DB_SSLMODE", "want disable, allow, prefer, require, verify-ca or verify-full")
	}
	switch c.db.SynchronousCommit {
	case "", "on", "off", "local", "remote_write", "remote_apply":
	default:
		env.Check(false, "DB_SYNCHRONOUS_COMMIT", "want on, off, local, remote_write or remote_apply")
	}
	c.httpPort = env.Int("HTTP_PORT", 8888, 1, 65535)
	c.staticDir = env.String("STATIC_DIR", "")
	if c.staticDir != "" {
		st, err := os.Stat(c.staticDir)
		env.Check(err == nil && st.IsDir(), "STATIC_DIR", "want a directory of files to serve")
	}
	c.staticPort = env.Int("STATIC_PORT", 8181, 1, 65535)
	c.pprofPort = env.Int("PPROF_PORT", 0, 0, 65535)
	c.opsPort = env.Int("OPS_PORT", 0, 0, 65535)
	env.Check(c.opsPort == 0 || c.opsPort != c.httpPort && (c.staticDir == "" || c.opsPort != c.staticPort), "OPS_PORT",
		"must differ from HTTP_PORT and STATIC_PORT")
	c.introspect = env.Bool("GRAPHQL_INTROSPECTION", true)
	env.Check(c.staticDir == "" || c.staticPort != c.httpPort, "STATIC_PORT",
		"must differ from HTTP_PORT (the files get a listener of their own)")
	for _, o := range strings.Split(env.String("CORS_ORIGINS", "*"), ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.cors = append(c.cors, o)
		}
	}
	host, _ := os.Hostname()
	// Every instance reads every record (own group), so each can stream to
	// its own subscribers and answer its own waiting requests.
	c.group = env.String("KAFKA_GROUP_ID", fmt.Sprintf("graphql-endpoint-%s-%d", host, c.httpPort))
	c.feedbackWait = env.Duration("FEEDBACK_TIMEOUT", 10*time.Second, 100*time.Millisecond, 5*time.Minute)
	c.streamGrace = env.Duration("STREAM_CATCH_UP_GRACE", 10*time.Second, 0, 24*time.Hour)
	c.sendTimeout = env.Duration("KAFKA_SEND_TIMEOUT", 5*time.Second, 100*time.Millisecond, 5*time.Minute)
	c.shutdownWait = env.Duration("SHUTDOWN_TIMEOUT", 8*time.Second, time.Second, 5*time.Minute)
	c.hashSlots = env.Int("HASH_CONCURRENCY", 2, 1, 256)
	c.maxLast = env.Int("MAX_LAST_TRANSACTIONS", 1000, 1, 100_000)
	c.conns = connLimits{
		readTimeout:  env.Duration("HTTP_READ_TIMEOUT", 30*time.Second, 100*time.Millisecond, time.Hour),
		idleTimeout:  env.Duration("HTTP_IDLE_TIMEOUT", 60*time.Second, 100*time.Millisecond, time.Hour),
		writeTimeout: env.Duration("WRITE_TIMEOUT", 10*time.Second, 100*time.Millisecond, time.Hour),
		perClient:    env.Int("MAX_CONNECTIONS_PER_CLIENT", 256, 0, 1_000_000),
	}
	// net/http cancels a request whose connection's read deadline passes while
	// it runs, so a request must be able to wait for its feedback within it.
	env.Check(c.conns.readTimeout > c.feedbackWait+c.sendTimeout, "HTTP_READ_TIMEOUT",
		"must be longer than FEEDBACK_TIMEOUT plus KAFKA_SEND_TIMEOUT")
	c.limits = httpapi.Limits{
		MaxTokens:                 env.Int("MAX_QUERY_TOKENS", 2000, 100, 1_000_000),
		MaxFields:                 env.Int("MAX_QUERY_FIELDS", 200, 10, 100_000),
		MaxDepth:                  env.Int("MAX_QUERY_DEPTH", 10, 2, 100),
		MaxComplexity:             env.Int("MAX_QUERY_COMPLEXITY", 10_000, 10, 10_000_000),
		PasswordPerMinute:         env.Int("PASSWORD_RATE_PER_MINUTE", 60, 0, 1_000_000),
		PasswordBurst:             env.Int("PASSWORD_RATE_BURST", 20, 1, 1_000_000),
		MaxRequestBytes:           int64(env.Int("MAX_REQUEST_BYTES", 64<<10, 1<<10, 64<<20)),
		MaxSubscriptionsPerSocket: env.Int("MAX_SUBSCRIPTIONS_PER_CONNECTION", 20, 1, 10_000),
		IdleTimeout:               env.Duration("WS_IDLE_TIMEOUT", 5*time.Minute, time.Second, 24*time.Hour),
		PingInterval:              env.Duration("WS_PING_INTERVAL", 20*time.Second, time.Second, time.Hour),
	}
	switch strings.ToLower(env.String("LOG_LEVEL", "info")) {
	case "debug":
		c.logLevel = slog.LevelDebug
	case "info":
		c.logLevel = slog.LevelInfo
	case "warn":
		c.logLevel = slog.LevelWarn
	case "error":
		c.logLevel = slog.LevelError
	default:
		env.Check(false, "LOG_LEVEL", "want debug, info, warn or error")
	}
	return c
}

func main() {
	env := topology.NewEnv()
	cfg := readConfig(env)
	if err := env.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "graphql-endpoint:", err)
		os.Exit(2)
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	if err := run(cfg, log); err != nil {
		log.Error("graphql-endpoint stopped", "error", err)
		os.Exit(1)
	}
}

// defaultGCPercent is used unless GOGC is set: the heap is mostly short-lived
// response garbage, so collecting at +25% instead of +100% keeps the RSS of
// 1,000 subscribers under 100 MiB for a few % of a core (bench/fanout).
const defaultGCPercent = 25

func run(cfg config, log *slog.Logger) error {
	started := time.Now()
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	// Spans only when OTEL_EXPORTER_OTLP_ENDPOINT is set.
	stopTracing, err := observe.StartTracing(ctx, "graphql-endpoint", log)
	if err != nil {
		return err
	}
	defer observe.StopTracing(stopTracing, log)

	st, err := store.Open(ctx, cfg.db)
	if err != nil {
		return err
	}
	defer st.Close()

	serde := topology.NewSerde(topology.NewRegistry(cfg.kafka.RegistryURL))
	producer, err := topology.NewProducer(cfg.kafka, serde, log)
	if err != nil {
		return err
	}
	defer producer.Close()

	hub := graph.NewHub()
	gw := gateway.New(st, producer, hub, gateway.Options{
		FeedbackTimeout: cfg.feedbackWait,
		StreamSince:     started.Add(-cfg.streamGrace),
		HashConcurrency: cfg.hashSlots,
		SendTimeout:     cfg.sendTimeout,
	}, log)

	// A group new to Kafka starts where transactiondb is (any instance's
	// progress) for balance changes, and at the end for feedback (only answers
	// to commands sent from now on are waited for here).
	progress, err := st.Progress(ctx)
	if err != nil {
		return err
	}
	admin, err := topology.NewAdmin(cfg.kafka, log)
	if err != nil {
		return err
	}
	err = admin.StartGroup(ctx, cfg.group+"-transactions", []string{topology.TopicBalanceChanged},
		func(_ string, p int32, _, _ int64) (int64, bool) { o, ok := progress[p]; return o, ok })
	if err == nil {
		err = admin.StartGroup(ctx, cfg.group+"-feedback",
			[]string{topology.TopicAccountCreationFeedback, topology.TopicMoneyTransferFeedback}, topology.AtEnd)
	}
	admin.Close()
	if err != nil {
		return err
	}

	// Two consumers, in groups of this instance's own, so it reads every
	// record: feedback apart from balance changes, so an answer never waits
	// behind a backlog of transactions (on a first start, the topic's history).
	balances, err := topology.NewConsumer(cfg.kafka, serde, nil, topology.ConsumerOptions{
		Group: cfg.group + "-transactions", Topics: []string{topology.TopicBalanceChanged},
		MaxBufferedBytes: smallPrefetch,
	}, log)
	if err != nil {
		return err
	}
	defer balances.Close()
	answers, err := topology.NewConsumer(cfg.kafka, serde, nil, topology.ConsumerOptions{
		Group:            cfg.group + "-feedback",
		Topics:           []string{topology.TopicAccountCreationFeedback, topology.TopicMoneyTransferFeedback},
		MaxBufferedBytes: smallPrefetch,
	}, log)
	if err != nil {
		return err
	}
	defer answers.Close()

	consumeCtx, stopConsuming := context.WithCancel(context.Background())
	defer stopConsuming()
	failed := make(chan error, 4)
	var consumers sync.WaitGroup
	consume := func(name string, c *topology.Consumer, h topology.Handler) {
		consumers.Add(1)
		go func() {
			defer consumers.Done()
			if err := c.Run(consumeCtx, h); err != nil {
				failed <- fmt.Errorf("%s consumer: %w", name, err)
			}
		}()
	}
	consume("balance_changed", balances, gw.HandleBalanceChanged)
	consume("feedback", answers, gw.HandleFeedback)

	schema := generated.NewExecutableSchema(graph.NewSchema(&graph.Resolver{Gateway: gw, Hub: hub, MaxLastTransactions: cfg.maxLast}))
	var stopping atomic.Bool
	httpCfg := httpapi.Config{
		Limits: cfg.limits, CORSOrigins: cfg.cors, Log: log,
		Introspection: cfg.introspect, WithOps: cfg.opsPort == 0,
		Ready: func(ctx context.Context) error {
			if stopping.Load() {
				return errors.New("shutting down")
			}
			return st.Ping(ctx)
		},
	}
	api := httpapi.Handler(schema, httpCfg)
	// Request contexts (and so every WebSocket and its subscriptions) end with
	// baseCtx: http.Server.Shutdown does not close hijacked connections.
	baseCtx, closeConnections := context.WithCancel(context.Background())
	defer closeConnections()
	servers := []*http.Server{newServer(cfg.httpPort, api, baseCtx, cfg.conns)}
	if cfg.staticDir != "" {
		servers = append(servers, newServer(cfg.staticPort, httpapi.Static(cfg.staticDir), baseCtx, cfg.conns))
	}
	if cfg.opsPort != 0 {
		servers = append(servers, newServer(cfg.opsPort, httpapi.Ops(schema, httpCfg), baseCtx, cfg.conns))
	}
	if cfg.pprofPort != 0 {
		pp := newServer(cfg.pprofPort, http.DefaultServeMux, baseCtx, connLimits{}) // net/http/pprof registers there
		pp.Addr = "127.0.0.1" + pp.Addr
		servers = append(servers, pp)
	}
	for _, srv := range servers {
		l, err := net.Listen("tcp", srv.Addr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", srv.Addr, err)
		}
		ln := &httpapi.Listener{Listener: l, MaxPerClient: cfg.conns.perClient, WriteTimeout: cfg.conns.writeTimeout}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				failed <- fmt.Errorf("serve %s: %w", srv.Addr, err)
			}
		}()
	}
	log.Info("graphql-endpoint serving", "port", cfg.httpPort, "static_dir", cfg.staticDir, "static_port", cfg.staticPort,
		"group", cfg.group)

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case runErr = <-failed:
	}
	stopping.Store(true)
	// Whatever hangs on the way out (Kafka or the database unreachable: the
	// consumers' batch, their close, the producer's flush), the process ends
	// within SHUTDOWN_TIMEOUT; an uncommitted batch is read again on the next start.
	time.AfterFunc(cfg.shutdownWait, func() {
		log.Error("shutdown took longer than SHUTDOWN_TIMEOUT; exiting", "timeout", cfg.shutdownWait)
		os.Exit(1)
	})
	// HTTP first (no new requests; subscriptions end), then the consumers
	// finish their batch.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.shutdownWait/2)
	defer cancel()
	closeConnections()
	for _, srv := range servers {
		if err := srv.Shutdown(shutdownCtx); err != nil {
			log.Warn("http shutdown", "error", err)
			_ = srv.Close()
		}
	}
	stopConsuming()
	consumers.Wait()
	log.Info("stopped")
	return runErr
}

// smallPrefetch keeps the read-ahead small: the gateway reads a few hundred
// small records a second, and on a first start the whole topic's history
// would otherwise be buffered.
const smallPrefetch = 2 << 20

func newServer(port int, h http.Handler, base context.Context, l connLimits) *http.Server {
	return &http.Server{
		Addr:              ":" + strconv.Itoa(port),
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		// The whole request, body included; a WebSocket's connection loses
		// this deadline when it is taken over (net/http clears it).
		ReadTimeout:    l.readTimeout,
		IdleTimeout:    l.idleTimeout,
		MaxHeaderBytes: 64 << 10,
		BaseContext:    func(net.Listener) context.Context { return base },
	}
}
