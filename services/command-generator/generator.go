package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"sync"

	"openbank/kit/service"
	"openbank/messaging"
	"openbank/services/command-generator/internal/accountfeed"
	"openbank/services/command-generator/internal/traffic"
	"openbank/topology"
	"openbank/topology/records"
	"openbank/topology/serde"
)

// generator wires the traffic rules to Kafka: it rebuilds the list of AUTO
// accounts from their feedback, then turns each heartbeat into a command.
type generator struct {
	cfg      config
	ops      *service.Ops
	log      *slog.Logger
	traffic  *traffic.Generator
	metrics  *metrics
	serde    *serde.Serde
	producer *messaging.Producer
}

func newGenerator(cfg config, ops *service.Ops, log *slog.Logger) *generator {
	gen := traffic.New(mrand.New(mrand.NewPCG(seed(), seed())), traffic.NewAccounts(cfg.maxAccounts), cfg.bankToken)
	return &generator{cfg: cfg, ops: ops, log: log, traffic: gen, metrics: newMetrics(ops.Metrics, gen),
		serde: serde.NewSerde(serde.NewRegistry(cfg.kafka.Registry()))}
}

// run reads the account feedback and, once the accounts are known again,
// the heartbeats, until ctx ends or either fails.
func (g *generator) run(ctx context.Context) error {
	g.ops.Starting("rebuilding the list of AUTO accounts")
	var err error
	g.producer, err = messaging.NewProducer(g.cfg.kafka, g.serde, g.log)
	if err != nil {
		return err
	}
	defer g.producer.Close()
	reader, err := accountfeed.NewReader(ctx, g.cfg.kafka, g.serde, topology.TopicAccountCreationFeedback, g.cfg.group+"-accounts", g.log)
	if err != nil {
		return err
	}
	defer func() { _ = reader.Close() }()

	ctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	rebuilt := make(chan struct{})
	wg.Go(func() { errs <- g.payNewAccounts(ctx, reader, rebuilt) })
	wg.Go(func() { errs <- g.turnHeartbeats(ctx, rebuilt) })
	g.log.Info("command generator started", "http_port", g.cfg.service.HTTPPort, "group", g.cfg.group, "max_accounts", g.cfg.maxAccounts)

	var first error
	select {
	case first = <-errs:
	case <-ctx.Done():
	}
	stop()
	wg.Wait()
	g.log.Info("command generator stopping", "accounts", g.traffic.Known())
	return first
}

// payNewAccounts remembers every AUTO account confirmed and pays each new
// one a salary; it closes rebuilt once it has read the history.
func (g *generator) payNewAccounts(ctx context.Context, reader *accountfeed.Reader, rebuilt chan<- struct{}) error {
	return reader.Run(ctx, func(ctx context.Context, batch []accountfeed.Confirmed) error {
		var salaries []traffic.Command
		for _, c := range batch {
			g.metrics.accountSeen()
			salary, isNew := g.traffic.Remember(traffic.Account{IBAN: c.IBAN, Token: c.Token})
			if isNew && c.New {
				salaries = append(salaries, salary)
			}
		}
		return g.send(ctx, salaries)
	}, func() {
		g.log.Info("list of AUTO accounts rebuilt", "accounts", g.traffic.Known())
		close(rebuilt)
	})
}

// turnHeartbeats sends a command for each heartbeat, once rebuilt is closed.
func (g *generator) turnHeartbeats(ctx context.Context, rebuilt <-chan struct{}) error {
	// No transfers before the accounts are known again, so a restart does
	// not fall back to the bank's own account.
	select {
	case <-rebuilt:
	case <-ctx.Done():
		return nil
	}
	// Joined only now: a member that does not poll would hold partitions.
	heartbeats, err := messaging.NewConsumer(g.cfg.kafka, g.serde, nil, messaging.ConsumerOptions{
		Group: g.cfg.group, Topics: []string{topology.TopicHeartbeat},
		// Each batch waits for its commands' acknowledgements: big batches
		// keep up with a fast heartbeat.
		MaxBatch: 5000,
	}, g.log)
	if err != nil {
		return err
	}
	defer func() { _ = heartbeats.Close() }()
	g.metrics.watchLag(heartbeats)
	g.ops.SetReady(true)
	return heartbeats.Run(ctx, func(ctx context.Context, batch []messaging.Delivery) error {
		cmds := make([]traffic.Command, 0, len(batch))
		for _, d := range batch {
			if hb, ok := d.Record.(*records.Heartbeat); ok {
				cmds = append(cmds, g.traffic.ForBeat(hb.Beat))
			}
		}
		if err := g.send(ctx, cmds); err != nil {
			return err
		}
		g.metrics.heartbeats(len(batch))
		return nil
	})
}

// send produces cmds and counts them once Kafka has acknowledged them.
func (g *generator) send(ctx context.Context, cmds []traffic.Command) error {
	msgs := make([]messaging.Message, len(cmds))
	for i, c := range cmds {
		msgs[i] = messaging.Message{Topic: topology.TopicCommands, Key: c.ID.String(), Record: c.Record}
	}
	if err := g.producer.Send(ctx, msgs...); err != nil {
		return fmt.Errorf("send %d commands: %w", len(cmds), err)
	}
	for _, c := range cmds {
		g.metrics.command(c.Kind)
	}
	return nil
}

// seed is a random seed for the command choices.
func seed() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}
