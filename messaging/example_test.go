package messaging_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"openbank/messaging"
	"openbank/messaging/memory"
	"openbank/topology"
	"openbank/topology/records"
	"openbank/topology/serde"
	"openbank/topology/serde/serdetest"
)

// exampleCluster is an in-process cluster holding the bank's balance_changed
// topic, with a serde over an in-memory schema registry. Against a real
// broker, cfg comes from messaging.ReadConfig(env.New(), "my-program") and
// the serde from serde.NewRegistry(cfg.Registry()).
func exampleCluster(name string) (messaging.Config, *serde.Serde) {
	cfg := messaging.Config{Client: memory.Name, Brokers: "example/" + name, ClientID: "example"}
	admin, err := messaging.NewAdmin(cfg, slog.Default())
	if err != nil {
		panic(err)
	}
	defer admin.Close()
	t, _ := topology.TopicByName(topology.TopicBalanceChanged)
	if err := admin.CreateTopic(context.Background(), t.Name, t.Partitions, 1, nil); err != nil {
		panic(err)
	}
	return cfg, serde.NewSerde(serdetest.NewRegistry())
}

// Produce BalanceChanged events: Send returns once every in-sync replica has
// them. Keying by iban keeps one account's events in order.
func ExampleProducer_Send() {
	cfg, codec := exampleCluster("produce")
	producer, err := messaging.NewProducer(cfg, codec, slog.Default())
	if err != nil {
		panic(err)
	}
	defer producer.Close()

	err = producer.Send(context.Background(),
		messaging.Message{Topic: topology.TopicBalanceChanged, Key: "NL66OPEN0000000001",
			Record: &records.BalanceChanged{IBAN: "NL66OPEN0000000001", NewBalance: 1000, ChangedBy: 1000, FromTo: "cash", Description: "deposit"}},
		messaging.Message{Topic: topology.TopicBalanceChanged, Key: "NL66OPEN0000000001",
			Record: &records.BalanceChanged{IBAN: "NL66OPEN0000000001", NewBalance: 750, ChangedBy: -250, FromTo: "NL66OPEN0000000002", Description: "rent"}},
	)
	fmt.Println("sent:", err == nil)
	// Output: sent: true
}

// Consume in a group with at-least-once delivery: the handler gets a batch,
// and its offsets are committed only after it returns nil. An error offers
// the same batch again, so a handler must be idempotent.
func ExampleConsumer_Run() {
	cfg, codec := exampleCluster("consume")
	producer, _ := messaging.NewProducer(cfg, codec, slog.Default())
	defer producer.Close()
	for i, amount := range []int64{1000, -250, -100} {
		_ = producer.Send(context.Background(), messaging.Message{Topic: topology.TopicBalanceChanged,
			Key: "NL66OPEN0000000001", Record: &records.BalanceChanged{IBAN: "NL66OPEN0000000001", ChangedBy: amount, Description: fmt.Sprint("change ", i)}})
	}

	consumer, err := messaging.NewConsumer(cfg, codec, nil, messaging.ConsumerOptions{
		Group: "example-projection", Topics: []string{topology.TopicBalanceChanged},
	}, slog.Default())
	if err != nil {
		panic(err)
	}
	defer consumer.Close()

	ctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	balance := int64(0)
	seen := 0
	_ = consumer.Run(ctx, func(_ context.Context, batch []messaging.Delivery) error {
		for _, d := range batch {
			bc := d.Record.(*records.BalanceChanged)
			balance += bc.ChangedBy
			seen++
			fmt.Printf("%s %+d (offset %d)\n", bc.Description, bc.ChangedBy, d.Offset)
		}
		if seen == 3 {
			stop() // Run returns once this batch's offsets are committed
		}
		return nil
	})
	fmt.Println("balance:", balance)
	// Output:
	// change 0 +1000 (offset 0)
	// change 1 -250 (offset 1)
	// change 2 -100 (offset 2)
	// balance: 650
}

// Read a partition from a chosen offset, outside any group's assignment: how
// a service replays what it missed, or looks at the last record.
func ExampleReader() {
	cfg, codec := exampleCluster("read")
	producer, _ := messaging.NewProducer(cfg, codec, slog.Default())
	defer producer.Close()
	for _, amount := range []int64{10, 20, 30, 40} {
		_ = producer.Send(context.Background(), messaging.Message{Topic: topology.TopicBalanceChanged,
			Key: "NL66OPEN0000000001", Record: &records.BalanceChanged{IBAN: "NL66OPEN0000000001", ChangedBy: amount}})
	}
	// Every partition from offset 2 on: the key's partition holds its four
	// records; the others hold none.
	admin, _ := messaging.NewAdmin(cfg, slog.Default())
	defer admin.Close()
	start, _ := admin.Partitions(context.Background(), messaging.OffsetBeginning, topology.TopicBalanceChanged)
	for tp := range start {
		start[tp] = 2
	}

	reader, err := messaging.NewReader(cfg, start, "", slog.Default())
	if err != nil {
		panic(err)
	}
	defer reader.Close()
	recs, err := reader.PollBatch(context.Background(), 100, 10*time.Millisecond)
	if err != nil {
		panic(err)
	}
	for _, r := range recs {
		bc, _ := codec.Decode(r.Topic, r.Value)
		fmt.Printf("offset %d: %+d\n", r.Offset, bc.(*records.BalanceChanged).ChangedBy)
	}
	// Output:
	// offset 2: +30
	// offset 3: +40
}
