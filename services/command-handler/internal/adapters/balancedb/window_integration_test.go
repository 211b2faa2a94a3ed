//go:build integration

package balancedb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"openbank/kit/pgpool"
	"openbank/kit/schema"
	"openbank/services/command-handler/internal/domain/ledger"
	"openbank/topology/ident"
)

// openFresh migrates balancedb's tables into a schema of their own and opens
// a store on it, so a test can move the window's clock and drop partitions
// without touching the rows of tests running beside it. The schema is
// dropped at the end.
func openFresh(t *testing.T) *Store {
	t.Helper()
	open(t) // the database migrated, its roles made
	ctx := context.Background()
	cfg := configFromEnv(t)
	owner, err := pgx.Connect(ctx, cfg.Migrator().URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = owner.Close(context.Background()) })
	name := fmt.Sprintf("window_test_%d", rand.Uint32())
	if _, err := owner.Exec(ctx, `CREATE SCHEMA `+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := owner.Exec(context.Background(), `DROP SCHEMA `+name+` CASCADE`); err != nil {
			t.Error(err)
		}
	})
	// Migrated by the owner and used by the service role, as at start.
	if _, err := schema.Up(migrations, "migrations", cfg.Migrator().URL("pgx5")+"&search_path="+name); err != nil {
		t.Fatal(err)
	}
	if err := schema.GrantRuntime(ctx, cfg.Migrator().URL("postgres")+"&search_path="+name, cfg.User); err != nil {
		t.Fatal(err)
	}
	pc, err := pgpool.Config(cfg.URL("postgres")+"&search_path="+name, 4)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return &Store{pool: pool}
}

func partitions(t *testing.T, st *Store) []string {
	t.Helper()
	rows, err := st.pool.Query(context.Background(), `SELECT c.relname::text FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'command'::regclass ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// The handler's job creates the next partitions and drops each the moment
// all of it is older than the window, following the clock it is given.
func TestWindowPartitionsFollowTheClock(t *testing.T) {
	st := openFresh(t)
	ctx := context.Background()
	const window = 7 * Day
	start := time.Now().UTC().Truncate(Width).Add(5 * Width) // well past the migration's rows
	keep := func(now time.Time) {
		t.Helper()
		if _, _, err := st.KeepWindow(ctx, now, window); err != nil {
			t.Fatal(err)
		}
	}
	named := func(froms ...time.Time) []string {
		var out []string
		for _, f := range froms {
			out = append(out, span{from: f, upto: f.Add(Width)}.String())
		}
		return out
	}
	keep(start.Add(time.Hour))
	if got, want := partitions(t, st), named(start, start.Add(Width)); !slices.Equal(got, want) {
		t.Fatalf("partitions %v, want %v (the rows before the start dropped, this week and the next made)", got, want)
	}
	// A millisecond before its last instant leaves the window, the first stays.
	keep(start.Add(Width + window - time.Millisecond))
	if got := partitions(t, st); got[0] != named(start)[0] {
		t.Fatalf("partitions %v: the first went while still reaching into the window", got)
	}
	keep(start.Add(Width + window))
	if got, want := partitions(t, st), named(start.Add(Width), start.Add(2*Width), start.Add(3*Width)); !slices.Equal(got, want) {
		t.Fatalf("partitions %v, want %v", got, want)
	}
}

// A command delivered again just inside the window is recognised, and its
// stored outcome comes back unchanged; one handled a partition's width
// before the window's edge is gone with its partition.
func TestRedeliveryAtTheWindowsEdge(t *testing.T) {
	st := openFresh(t)
	ctx := context.Background()
	const window = 7 * Day
	now := time.Now()
	// The partitions of the last window as the handler would have made
	// them; the rows from before the table was partitioned (none) go first.
	for _, p := range partitions(t, st) {
		if _, err := st.pool.Exec(ctx, `SELECT command_partition_drop($1)`, p); err != nil {
			t.Fatal(err)
		}
	}
	for d := window + 2*Width; d >= 0; d -= Day {
		if _, _, err := st.KeepWindow(ctx, now.Add(-d), window+3*Width); err != nil {
			t.Fatal(err)
		}
	}
	iban, err := ident.NewIBAN()
	if err != nil {
		t.Fatal(err)
	}
	inside, outside := ident.NewCommandID(), ident.NewCommandID()
	var want ledger.Outcome
	err = st.Decide(ctx, []int32{3}, []string{iban}, nil, func(book ledger.Book, _ map[[16]byte]ledger.Handled) ([]ledger.Handled, error) {
		created := ledger.DecideAccountCreation("AUTO", iban, "tk", []byte("tk"), book)
		want = ledger.DecideTransfer(ledger.Transfer{Amount: 500, From: ident.Cash, To: iban, Description: "edge"}, book)
		return []ledger.Handled{{ID: uuid.New(), Partition: 3, Offset: 9, Outcome: created},
			{ID: inside, Partition: 3, Offset: 10, Outcome: want},
			{ID: outside, Partition: 3, Offset: 11, Outcome: ledger.DecideTransfer(ledger.Transfer{Amount: 1, From: ident.Cash, To: iban}, book)}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Age them: inside a minute short of the window, outside a width past it.
	for id, age := range map[uuid.UUID]time.Duration{inside: window - time.Minute, outside: window + Width} {
		if _, err := st.pool.Exec(ctx, `UPDATE command SET handled_at = $2 WHERE id = $1`, id, now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	if _, dropped, err := st.KeepWindow(ctx, now, window); err != nil || len(dropped) == 0 {
		t.Fatalf("dropped %v, %v: want the partitions before the window dropped", dropped, err)
	}

	// The record of inside read again, decided as the handler does: a stored
	// id is answered from its record, a new one decided by the rules.
	var seen map[[16]byte]ledger.Handled
	err = st.Decide(ctx, []int32{3}, []string{iban}, [][16]byte{inside, outside}, func(book ledger.Book, h map[[16]byte]ledger.Handled) ([]ledger.Handled, error) {
		seen = h
		if _, ok := h[inside]; ok {
			return nil, nil
		}
		o := ledger.DecideTransfer(ledger.Transfer{Amount: 500, From: ident.Cash, To: iban, Description: "edge"}, book)
		return []ledger.Handled{{ID: inside, Partition: 3, Offset: 10, Outcome: o}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var balance int64
	if err := st.pool.QueryRow(ctx, `SELECT amount FROM balance WHERE iban = $1`, iban).Scan(&balance); err != nil {
		t.Fatal(err)
	}
	got, ok := seen[inside]
	if !ok {
		t.Fatalf("the command handled %v ago is not recognised inside a window of %v", window-time.Minute, window)
	}
	if !reflect.DeepEqual(got.Outcome, want) || got.Partition != 3 || got.Offset != 10 {
		t.Errorf("stored %+v, want the first outcome %+v at 3/10", got, want)
	}
	if _, ok := seen[outside]; ok {
		t.Errorf("the command handled %v ago is still kept: its partition was not dropped", window+Width)
	}
	if balance != 501 {
		t.Errorf("balance %d, want 501: the redelivery changed it", balance)
	}
}

// Two instances deciding batches of the same commands partition at once (a
// rebalance) decide a command id once: the second waits for the first's
// partition lock and then reads the id the first stored. Without the lock
// both would find the id new and store it twice, which no unique key on the
// partitioned table would stop.
func TestTwoInstancesDecideACommandOnce(t *testing.T) {
	st := openFresh(t)
	ctx := context.Background()
	if _, _, err := st.KeepWindow(ctx, time.Now(), 7*Day); err != nil {
		t.Fatal(err)
	}
	id := ident.NewCommandID()
	var secondDecided atomic.Bool
	create := func(handled map[[16]byte]ledger.Handled, book ledger.Book) []ledger.Handled {
		if _, ok := handled[id]; ok {
			return nil
		}
		iban, err := ident.NewIBAN()
		if err != nil {
			t.Error(err)
			return nil
		}
		return []ledger.Handled{{ID: id, Partition: 7, Offset: 1, Outcome: ledger.DecideAccountCreation("AUTO", iban, "tk", []byte("tk"), book)}}
	}
	second := make(chan error, 1)
	err := st.Decide(ctx, []int32{7}, nil, [][16]byte{id}, func(book ledger.Book, h map[[16]byte]ledger.Handled) ([]ledger.Handled, error) {
		go func() {
			second <- st.Decide(ctx, []int32{7}, nil, [][16]byte{id}, func(book ledger.Book, h map[[16]byte]ledger.Handled) ([]ledger.Handled, error) {
				secondDecided.Store(true)
				return create(h, book), nil
			})
		}()
		// Hold this batch open until the second waits on a lock (or, were
		// there no lock, has decided).
		deadline := time.Now().Add(30 * time.Second)
		for !secondDecided.Load() && time.Now().Before(deadline) {
			var waiting int
			if err := st.pool.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`).Scan(&waiting); err != nil {
				return nil, err
			}
			if waiting > 0 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		return create(h, book), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	var n int
	if err := st.pool.QueryRow(ctx, `SELECT count(*) FROM command WHERE id = $1`, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("command stored %d times, want once", n)
	}
}
