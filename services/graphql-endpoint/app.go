package main

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"openbank/kit/observe"
	"openbank/kit/service"
	"openbank/messaging"
	"openbank/services/graphql-endpoint/internal/adapters/store"
	"openbank/services/graphql-endpoint/internal/app/gateway"
	"openbank/services/graphql-endpoint/internal/metrics"
	"openbank/services/graphql-endpoint/internal/ports/graph"
	"openbank/services/graphql-endpoint/internal/ports/graph/generated"
	"openbank/services/graphql-endpoint/internal/ports/httpapi"
	"openbank/topology"
	"openbank/topology/serde"
)

// giveBack returns the heap's free pages to the system now, in the
// background and one call at a time: a password hash frees about 19 MiB at
// once, which would otherwise stay resident for the scavenger's next minutes.
// The forced collection costs a few milliseconds of CPU, against a hash's tens.
var giveBack = func() func() {
	var running atomic.Bool
	return func() {
		if running.CompareAndSwap(false, true) {
			go func() {
				defer running.Store(false)
				debug.FreeOSMemory()
			}()
		}
	}
}()

// smallPrefetch keeps the read-ahead small: the gateway reads a few hundred
// small records a second, and on a first start the whole topic's history
// would otherwise be buffered.
const smallPrefetch = 2 << 20

// run opens transactiondb, connects to Kafka, serves the API and consumes
// feedback and balance changes until ctx ends.
func run(ctx context.Context, cfg config, ops *service.Ops, log *slog.Logger) error {
	// Spans only when OTEL_EXPORTER_OTLP_ENDPOINT is set.
	stopTracing, err := observe.StartTracing(ctx, "graphql-endpoint", log)
	if err != nil {
		return err
	}
	defer observe.StopTracing(stopTracing, log)

	st, err := openDatabase(ctx, cfg, ops, log)
	if err != nil {
		return err
	}
	defer st.Close()

	serde := serde.NewSerde(serde.NewRegistry(cfg.kafka.Registry()))
	producer, err := messaging.NewProducer(cfg.kafka, serde, log)
	if err != nil {
		return err
	}
	defer producer.Close()

	// Rows stored before this start are history (transactions_by_iban); every
	// row stored from now on, by any instance, is streamed.
	dbNow, err := st.Now(ctx)
	if err != nil {
		return err
	}
	cursor, err := st.Cursors(ctx)
	if err != nil {
		return err
	}
	m := metrics.New(ops.Metrics)
	hub := graph.NewHub(m)
	gw := gateway.New(st, producer, hub, gateway.Options{
		FeedbackTimeout: cfg.feedbackWait,
		StreamSince:     dbNow,
		StreamFrom:      cursor,
		PollInterval:    cfg.poll,
		HashConcurrency: cfg.hashSlots,
		SendTimeout:     cfg.sendTimeout,
		Metrics:         m,
		Passwords:       cfg.passwords,
		HashesDone:      giveBack,
	}, log)
	giveBack() // New hashed a dummy password
	if err := startGroups(ctx, cfg, st, log); err != nil {
		return err
	}
	balances, answers, err := joinTopics(cfg, serde, log)
	if err != nil {
		return err
	}
	defer balances.Close()
	defer answers.Close()

	schema := generated.NewExecutableSchema(graph.NewSchema(&graph.Resolver{
		Transactions: st, Commands: gw, Hub: hub, Metrics: m, MaxLastTransactions: cfg.maxLast}))
	httpapi.Routes(ops.Mux, ops.Private, schema, httpapi.Config{
		Limits: cfg.limits, CORSOrigins: cfg.cors, Proxies: cfg.proxies, Log: log, Introspection: cfg.introspect})
	ops.Wrap(httpapi.CORS(cfg.cors).Handler)
	if cfg.staticDir != "" {
		// The page's files, bounded as HTTP_PORT is.
		if err := ops.Serve("STATIC_PORT", cfg.service.Addr(cfg.staticPort), httpapi.Static(cfg.staticDir), cfg.service.Public); err != nil {
			return err
		}
	}

	// The consumers outlive ctx a little: HTTP stops first (requests and
	// subscriptions end with ctx), then they finish their batch.
	consumeCtx, stopConsuming := context.WithCancel(context.WithoutCancel(ctx))
	defer stopConsuming()
	var consumers sync.WaitGroup
	consume := func(name string, c *messaging.Consumer, h messaging.Handler) {
		consumers.Go(func() {
			if err := c.Run(consumeCtx, h); err != nil {
				ops.Stop(fmt.Errorf("%s consumer: %w", name, err))
			}
		})
	}
	consume("balance_changed", balances, gw.HandleBalanceChanged)
	consume("feedback", answers, gw.HandleFeedback)
	consumers.Go(func() { st.Listen(consumeCtx, notified(consumeCtx, gw, log), log) })
	consumers.Go(func() { gw.Follow(consumeCtx) })

	ops.SetReady(true)
	log.Info("graphql-endpoint serving", "port", cfg.service.HTTPPort, "ops_port", cfg.service.OpsPort,
		"static_dir", cfg.staticDir, "static_port", cfg.staticPort, "group", cfg.group, "instance", cfg.instance)
	<-ctx.Done()
	ops.Starting("shutting down")
	ops.SetReady(false)
	log.Info("shutting down")
	stopConsuming()
	consumers.Wait()
	return nil
}

// notified is what a notification from transactiondb does: new rows not
// handed on here yet wake the stream, stored answers the requests waiting
// here; "" (some may have been lost) wakes the stream, and waiting requests
// look every STREAM_POLL_MS.
func notified(ctx context.Context, gw *gateway.Gateway, log *slog.Logger) func(channel, payload string) {
	return func(channel, payload string) {
		if channel != store.ChannelFeedback {
			if upTo, ok := store.DecodeStored(payload); !ok || gw.Behind(upTo) {
				gw.Kick()
			}
			return
		}
		creations, results, err := store.DecodeFeedback(payload)
		if err != nil {
			log.Warn("feedback notification", "error", err)
			return
		}
		gw.Notified(ctx, creations, results)
	}
}

// openDatabase migrates transactiondb when MIGRATE_ON_START says so (once:
// a database that refuses stops the start) and opens it; from then on
// readiness includes a database ping.
func openDatabase(ctx context.Context, cfg config, ops *service.Ops, log *slog.Logger) (*store.Store, error) {
	if cfg.migrate {
		ops.Starting("migrating transactiondb")
		v, err := store.Migrate(cfg.db)
		if err != nil {
			return nil, err
		}
		log.Info("schema up to date", "version", v)
	}
	ops.Starting("connecting to transactiondb and Kafka")
	st, err := store.Open(ctx, cfg.db)
	if err != nil {
		return nil, err
	}
	ops.AddCheck("database", st.Ping)
	return st, nil
}

// startGroups places the instances' groups when new to Kafka: balance
// changes where transactiondb is (progress of earlier groups), feedback at the
// end (only answers to commands sent from now on are waited for).
func startGroups(ctx context.Context, cfg config, st *store.Store, log *slog.Logger) error {
	progress, err := st.Progress(ctx)
	if err != nil {
		return err
	}
	admin, err := messaging.NewAdmin(cfg.kafka, log)
	if err != nil {
		return err
	}
	defer admin.Close()
	err = admin.StartGroup(ctx, cfg.group+"-transactions", []string{topology.TopicBalanceChanged}, startAt(progress))
	if err != nil {
		return err
	}
	return admin.StartGroup(ctx, cfg.group+"-feedback",
		[]string{topology.TopicAccountCreationFeedback, topology.TopicMoneyTransferFeedback}, messaging.AtEnd)
}

// startAt places a partition where transactiondb's progress is, else at its
// beginning. Every partition gets a committed offset on the first start, so a
// start after a kill has none to place: placing from outside the group would
// have to wait until the killed member's session times out.
func startAt(progress map[int32]int64) messaging.StartFunc {
	return func(_ string, p int32, low, _ int64) (int64, bool) {
		if o, ok := progress[p]; ok {
			return o, true
		}
		return low, true
	}
}

// joinTopics returns two consumers in the groups every instance shares, so
// each record is stored by one instance: feedback apart from balance changes,
// so an answer never waits behind a backlog of transactions (on a first
// start, the topic's history). Each is its group's static member: restarted
// after a kill, it gets its partitions back at once instead of after the
// session timeout.
func joinTopics(cfg config, serde *serde.Serde, log *slog.Logger) (balances, answers *messaging.Consumer, err error) {
	balances, err = messaging.NewConsumer(cfg.kafka, serde, nil, messaging.ConsumerOptions{
		Group: cfg.group + "-transactions", Topics: []string{topology.TopicBalanceChanged},
		MaxBufferedBytes: smallPrefetch, GroupInstanceID: cfg.instance + "-transactions",
	}, log)
	if err != nil {
		return nil, nil, err
	}
	answers, err = messaging.NewConsumer(cfg.kafka, serde, nil, messaging.ConsumerOptions{
		Group:            cfg.group + "-feedback",
		Topics:           []string{topology.TopicAccountCreationFeedback, topology.TopicMoneyTransferFeedback},
		MaxBufferedBytes: smallPrefetch,
		GroupInstanceID:  cfg.instance + "-feedback",
	}, log)
	if err != nil {
		balances.Close()
		return nil, nil, err
	}
	return balances, answers, nil
}
