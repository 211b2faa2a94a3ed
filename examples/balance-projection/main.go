// Command balance-projection keeps its own view of the bank from its
// events: it reads every BalanceChanged from balance_changed in a consumer
// group of its own and keeps each account's balance and number of changes,
// printing a line per change. The offsets of a batch are committed only
// after it is applied (at-least-once), so a restart reads the uncommitted
// changes again: a real projection would store its view and the offsets in
// one transaction, or apply each change idempotently, as the gateway does.
// With the bank running (`make up`, its settings in .local/stack/env):
//
//	go run ./examples/balance-projection
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"openbank/kit/env"
	"openbank/messaging"
	_ "openbank/messaging/clients"
	"openbank/topology"
	"openbank/topology/records"
	"openbank/topology/serde"
)

type view struct {
	balance int64 // euro cents
	changes int
}

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	e := env.New()
	cfg := messaging.ReadConfig(e, "balance-projection") // KAFKA_BROKERS, SCHEMA_REGISTRY_URL, ...
	group := e.String("GROUP", "example-balance-projection", "the consumer group that keeps this projection's offsets")
	if err := e.Err(); err != nil {
		log.Error("configuration", "error", err)
		os.Exit(2)
	}
	codec := serde.NewSerde(serde.NewRegistry(cfg.Registry()))
	consumer, err := messaging.NewConsumer(cfg, codec, nil, messaging.ConsumerOptions{
		Group: group, Topics: []string{topology.TopicBalanceChanged},
	}, log)
	if err != nil {
		log.Error("join the group", "error", err)
		os.Exit(1)
	}
	defer consumer.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	accounts := map[string]*view{}
	err = consumer.Run(ctx, func(_ context.Context, batch []messaging.Delivery) error {
		for _, d := range batch {
			bc := d.Record.(*records.BalanceChanged)
			v := accounts[bc.IBAN]
			if v == nil {
				v = &view{}
				accounts[bc.IBAN] = v
			}
			v.balance, v.changes = bc.NewBalance, v.changes+1
			fmt.Printf("%s %+8.2f → %9.2f  (%d changes, %d accounts seen)\n",
				bc.IBAN, float64(bc.ChangedBy)/100, float64(v.balance)/100, v.changes, len(accounts))
		}
		return nil
	})
	if err != nil {
		log.Error("consume", "error", err)
		os.Exit(1)
	}
}
