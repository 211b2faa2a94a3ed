// Command command-generator turns heartbeats into bank commands, as the
// original open-bank-mark did: new AUTO accounts at first, then a mix of
// salaries, deposits, withdrawals, payments and transfers between them.
package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"openbank/services/command-generator/internal/feedback"
	"openbank/services/command-generator/internal/traffic"
	"openbank/topology"
	"openbank/topology/records"
)

type config struct {
	kafka       topology.KafkaConfig
	httpPort    int
	group       string
	maxAccounts int
}

func readConfig(env *topology.Env) (config, error) {
	c := config{
		kafka:    topology.ReadKafkaConfig(env, "command-generator"),
		httpPort: env.Int("HTTP_PORT", 8091, 1, 65535),
		// The heartbeat consumer's group; the account feedback reader keeps its
		// offsets (where salaries were paid up to) under <group>-accounts.
		group:       env.String("COMMAND_GENERATOR_GROUP", "command-generator"),
		maxAccounts: env.Int("COMMAND_GENERATOR_MAX_ACCOUNTS", 10_000, 1, 10_000_000),
	}
	return c, env.Err()
}

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	if err := run(log); err != nil {
		log.Error("command generator stopped", "error", err)
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

	gen := traffic.New(mrand.New(mrand.NewPCG(seed(), seed())), traffic.NewAccounts(cfg.maxAccounts))
	m := newMetrics(gen)
	ops := topology.StartOps(cfg.httpPort, m.handler(), "rebuilding the list of AUTO accounts")
	defer ops.Shutdown()

	serde := topology.NewSerde(topology.NewRegistry(cfg.kafka.RegistryURL))
	producer, err := topology.NewProducer(cfg.kafka, serde, log)
	if err != nil {
		return err
	}
	defer producer.Close()
	send := func(ctx context.Context, cmds []traffic.Command) error {
		msgs := make([]topology.Message, len(cmds))
		for i, c := range cmds {
			msgs[i] = topology.Message{Topic: topology.TopicCommands, Key: c.ID.String(), Record: c.Record}
		}
		if err := producer.Send(ctx, msgs...); err != nil {
			return fmt.Errorf("send %d commands: %w", len(cmds), err)
		}
		for _, c := range cmds {
			m.command(c.Kind)
		}
		return nil
	}

	reader, err := feedback.NewReader(ctx, cfg.kafka, serde, topology.TopicAccountCreationFeedback, cfg.group+"-accounts", log)
	if err != nil {
		return err
	}
	defer func() { _ = reader.Close() }()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	rebuilt := make(chan struct{})
	wg.Go(func() {
		errs <- reader.Run(ctx, func(ctx context.Context, batch []feedback.Confirmed) error {
			var salaries []traffic.Command
			for _, c := range batch {
				m.accountSeen()
				salary, isNew := gen.Remember(traffic.Account{IBAN: c.IBAN, Token: c.Token})
				if isNew && c.New {
					salaries = append(salaries, salary)
				}
			}
			return send(ctx, salaries)
		}, func() {
			log.Info("list of AUTO accounts rebuilt", "accounts", gen.Known())
			close(rebuilt)
		})
	})
	wg.Go(func() {
		// No transfers before the accounts are known again, so a restart does
		// not fall back to the bank's own account.
		select {
		case <-rebuilt:
		case <-ctx.Done():
			errs <- nil
			return
		}
		// Joined only now: a member that does not poll would hold partitions.
		heartbeats, err := topology.NewConsumer(cfg.kafka, serde, nil, topology.ConsumerOptions{
			Group: cfg.group, Topics: []string{topology.TopicHeartbeat},
			// Each batch waits for its commands' acknowledgements: big batches
			// keep up with a fast heartbeat.
			MaxBatch: 5000,
		}, log)
		if err != nil {
			errs <- err
			return
		}
		defer func() { _ = heartbeats.Close() }()
		m.watchLag(heartbeats)
		ops.SetReady()
		errs <- heartbeats.Run(ctx, func(ctx context.Context, batch []topology.Delivery) error {
			cmds := make([]traffic.Command, 0, len(batch))
			for _, d := range batch {
				if hb, ok := d.Record.(*records.Heartbeat); ok {
					cmds = append(cmds, gen.ForBeat(hb.Beat))
				}
			}
			if err := send(ctx, cmds); err != nil {
				return err
			}
			m.heartbeats(len(batch))
			return nil
		})
	})
	log.Info("command generator started", "http_port", cfg.httpPort, "group", cfg.group, "max_accounts", cfg.maxAccounts)

	var first error
	select {
	case first = <-ops.Err():
	case first = <-errs:
	case <-ctx.Done():
	}
	stop()
	wg.Wait()
	log.Info("command generator stopping", "accounts", gen.Known())
	return first
}

// seed is a random seed for the command choices.
func seed() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}
