//go:build integration

package balancedb

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/google/uuid"

	"openbank/services/command-handler/internal/domain/ledger"
	"openbank/topology/ident"
	"openbank/topology/records"
)

func configFromEnv(t *testing.T) Config {
	t.Helper()
	get := func(k, def string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return def
	}
	port, err := strconv.Atoi(get("DB_PORT", "5432"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Host: get("DB_HOSTNAME", "localhost"), Port: port, User: "command_handler",
		Password: os.Getenv("DB_PASSWORD"), Database: "balancedb", SSLMode: "disable", MaxConns: 8,
		MigrateUser: "balancedb_owner", MigratePassword: os.Getenv("DB_MIGRATE_PASSWORD")}
	return cfg
}

func open(t *testing.T) *Store {
	t.Helper()
	cfg := configFromEnv(t)
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

// batch runs one batch the way the handler does: lock, decide, write, commit.
func batch(ctx context.Context, st *Store, ibans []string, decide func(ledger.Book) []ledger.Handled) error {
	tx, err := st.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	book, _, err := tx.Load(ctx, nil, ibans, nil)
	if err != nil {
		return err
	}
	return tx.Commit(ctx, book, decide(book))
}

// Many concurrent batches moving money between the same few accounts, each
// naming them in its own order: none deadlocks, no update is lost, no balance
// goes below its limit, and the money stays the same.
func TestConcurrentBatchesOnTheSameAccounts(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	accounts := make([]*ledger.Account, 4)
	for i := range accounts {
		iban, err := ident.NewIBAN()
		if err != nil {
			t.Fatal(err)
		}
		accounts[i] = &ledger.Account{IBAN: iban, TokenHash: []byte("t" + strconv.Itoa(i))}
	}
	// Open and fund them in one batch.
	var ibans []string
	for _, a := range accounts {
		ibans = append(ibans, a.IBAN)
	}
	err := batch(ctx, st, ibans, func(book ledger.Book) []ledger.Handled {
		var hs []ledger.Handled
		for _, a := range accounts {
			o := ledger.DecideAccountCreation(records.AtypeAuto, a.IBAN, "token", a.TokenHash, book)
			hs = append(hs, ledger.Handled{ID: uuid.New(), Outcome: o})
			o = ledger.DecideTransfer(ledger.Transfer{Amount: 10_000, From: ident.Cash, To: a.IBAN}, book)
			hs = append(hs, ledger.Handled{ID: uuid.New(), Outcome: o})
		}
		return hs
	})
	if err != nil {
		t.Fatal(err)
	}

	const workers, batches, perBatch = 6, 60, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(w), 1))
			for range batches {
				// Name the accounts in a random order: the store must lock in its own.
				order := rnd.Perm(len(accounts))
				var named []string
				for _, i := range order {
					named = append(named, accounts[i].IBAN)
				}
				err := batch(ctx, st, named, func(book ledger.Book) []ledger.Handled {
					var hs []ledger.Handled
					for range perBatch {
						from, to := accounts[rnd.IntN(len(accounts))], accounts[rnd.IntN(len(accounts))]
						o := ledger.DecideTransfer(ledger.Transfer{TokenHash: from.TokenHash, Amount: 1 + rnd.Int64N(20_000),
							From: from.IBAN, To: to.IBAN}, book)
						hs = append(hs, ledger.Handled{ID: uuid.New(), Outcome: o})
					}
					return hs
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("a batch failed (a deadlock would show here): %v", err)
	}

	var sum int64
	for _, a := range accounts {
		var amount, lmt int64
		if err := st.pool.QueryRow(ctx, `SELECT amount, lmt FROM balance WHERE iban = $1`, a.IBAN).Scan(&amount, &lmt); err != nil {
			t.Fatal(err)
		}
		if amount < lmt {
			t.Errorf("%s: balance %d below its limit %d", a.IBAN, amount, lmt)
		}
		sum += amount
	}
	if sum != 4*10_000 {
		t.Errorf("balances sum to %d after %d concurrent batches, want 40000", sum, workers*batches)
	}
}
