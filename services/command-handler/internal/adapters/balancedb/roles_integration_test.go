//go:build integration

package balancedb

import (
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// connectAs connects to database as role with the stack's runtime password.
func connectAs(ctx context.Context, role, database string) (*pgx.Conn, error) {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(role, os.Getenv("DB_PASSWORD")),
		Host: net.JoinHostPort(os.Getenv("DB_HOSTNAME"), os.Getenv("DB_PORT")), Path: "/" + database,
		RawQuery: "sslmode=disable"}
	return pgx.Connect(ctx, u.String())
}

// The command handler's runtime role reads and writes balancedb's tables and
// nothing more: it cannot change, drop or add tables, touch the migrations'
// bookkeeping, or even connect to the gateway's database; the gateway's role
// cannot connect to balancedb (docs/security-limits.md).
func TestRuntimeRoleOnlyReadsAndWritesItsTables(t *testing.T) {
	open(t) // migrated, and the runtime role granted its rights, as at start
	ctx := context.Background()
	conn, err := connectAs(ctx, "command_handler", "balancedb")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM balance`).Scan(&n); err != nil || n < 1 {
		t.Fatalf("read balance: %d rows, %v", n, err)
	}
	if _, err := conn.Exec(ctx, `SELECT nextval('command_batch_seq')`); err != nil {
		t.Fatalf("use the sequence: %v", err)
	}
	for _, sql := range []string{
		`ALTER TABLE balance ADD COLUMN sneaky int`,
		`ALTER TABLE balance DROP CONSTRAINT balance_within_limit`,
		`DROP TABLE command`,
		`TRUNCATE balance`,
		`CREATE TABLE sneaky (a int)`,
		`CREATE FUNCTION sneaky() RETURNS int LANGUAGE sql AS 'SELECT 1'`,
		`UPDATE schema_migrations SET dirty = true`,
		`DELETE FROM schema_migrations`,
	} {
		_, err := conn.Exec(ctx, sql)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" { // insufficient_privilege
			t.Errorf("%s: %v, want insufficient privilege", sql, err)
		}
	}

	// The window's functions are the one door to DDL, and only for partitions of command.
	for _, sql := range []string{
		`SELECT command_partition_drop('balance')`,
		`SELECT command_partition_create('sneaky', now(), now() + interval '1 day')`,
	} {
		_, err := conn.Exec(ctx, sql)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "P0001" { // raise_exception
			t.Errorf("%s: %v, want the function to refuse", sql, err)
		}
	}

	for _, c := range []struct{ role, database string }{{"command_handler", "transactiondb"}, {"graphql_endpoint", "balancedb"}} {
		other, err := connectAs(ctx, c.role, c.database)
		if err == nil {
			other.Close(ctx)
			t.Errorf("%s connected to %s", c.role, c.database)
			continue
		}
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
			t.Errorf("%s to %s: %v, want insufficient privilege", c.role, c.database, err)
		}
	}
}
