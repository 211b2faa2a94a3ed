//go:build integration

package store

import (
	"context"
	"crypto/rand"
	"log/slog"
	"maps"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"openbank/kit/pgpool"
	"openbank/services/graphql-endpoint/internal/domain/transaction"
)

func openStore(t *testing.T) *Store {
	t.Helper()
	port, err := strconv.Atoi(os.Getenv("DB_PORT"))
	if err != nil {
		t.Fatalf("DB_PORT: %v", err)
	}
	cfg := Config{DB: pgpool.DB{Host: os.Getenv("DB_HOSTNAME"), Port: port,
		User: "graphql_endpoint", Password: os.Getenv("DB_PASSWORD"), Database: "transactiondb", MaxConns: 4,
		MigrateUser: "transactiondb_owner", MigratePassword: os.Getenv("DB_MIGRATE_PASSWORD")},
		TokenSealKey: []byte(rand.Text() + rand.Text())}
	if _, err := Migrate(cfg); err != nil {
		t.Fatal(err)
	}
	st, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st
}

// listen returns the payloads of st's notifications on channel until ctx ends.
func listen(ctx context.Context, st *Store, channel string) <-chan string {
	payloads := make(chan string, 64)
	go st.Listen(ctx, func(ch, payload string) {
		if ch == channel {
			payloads <- payload
		}
	}, slog.New(slog.DiscardHandler))
	time.Sleep(500 * time.Millisecond) // listening (the first call, channel "", is not waited for)
	return payloads
}

// AddTransactions returns the rows it added with their ids, and the
// statement's notification names each partition's newest offset stored; a
// redelivery adds nothing and notifies no one. The partitions are beyond
// balance_changed's (no progress is recorded), so no running gateway streams
// these rows.
func TestStoredRowsAndTheirNotification(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	st := openStore(t)
	notes := listen(ctx, st, ChannelTransactions)

	iban, cmd := "NL00TEST"+uuid.NewString()[:10], uuid.NewString()
	txs := []transaction.Transaction{
		{CommandID: cmd, IBAN: iban, NewBalance: 1, ChangedBy: 1, Partition: 900, Offset: 41, At: time.Now()},
		{CommandID: cmd + "b", IBAN: iban, NewBalance: 3, ChangedBy: 2, Partition: 900, Offset: 42, At: time.Now()},
		{CommandID: cmd + "c", IBAN: iban, NewBalance: 6, ChangedBy: 3, Partition: 901, Offset: 7, At: time.Now()},
	}
	inserted, err := st.AddTransactions(ctx, txs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(inserted) != 3 {
		t.Fatalf("%d rows added, want 3", len(inserted))
	}
	for i, row := range inserted {
		if row.ID == 0 || row.CommandID != txs[i].CommandID || row.Partition != txs[i].Partition || row.Offset != txs[i].Offset {
			t.Errorf("row %d: %+v, want %+v with its id", i, row, txs[i])
		}
	}
	select {
	case payload := <-notes:
		upTo, ok := DecodeStored(payload)
		if want := map[int32]int64{900: 42, 901: 7}; !ok || !maps.Equal(upTo, want) {
			t.Errorf("notification %q: %v, want %v", payload, upTo, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no notification")
	}

	again, err := st.AddTransactions(ctx, txs[:1], nil)
	if err != nil || len(again) != 0 {
		t.Errorf("a redelivery added %v (%v), want none", again, err)
	}
	select {
	case payload := <-notes:
		t.Errorf("notified %q for a statement that stored nothing", payload)
	case <-time.After(300 * time.Millisecond):
	}
}
