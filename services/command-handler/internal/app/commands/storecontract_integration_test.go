//go:build integration

package commands

import (
	"context"
	"os"
	"strconv"
	"testing"

	"openbank/services/command-handler/internal/adapters/balancedb"
)

// PostgreSQL (DB_HOSTNAME, DB_PORT, DB_PASSWORD of the stack) passes the same
// cases as the in-memory store the unit tests use.
func TestBalanceDBKeepsTheStoreContract(t *testing.T) {
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
	cfg := balancedb.Config{Host: get("DB_HOSTNAME", "localhost"), Port: port, User: "command_handler",
		Password: os.Getenv("DB_PASSWORD"), Database: "balancedb", SSLMode: "disable", MaxConns: 4,
		MigrateUser: "balancedb_owner", MigratePassword: os.Getenv("DB_MIGRATE_PASSWORD")}
	if _, err := balancedb.Migrate(cfg); err != nil {
		t.Fatal(err)
	}
	st, err := balancedb.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	testStoreContract(t, st)
}
