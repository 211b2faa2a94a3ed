//go:build integration

package pgpool

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
)

// balancedbURL is the stack's balancedb (the command handler's login).
func balancedbURL() string {
	get := func(k, def string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return def
	}
	u := url.URL{Scheme: "postgres", User: url.UserPassword("command_handler", os.Getenv("DB_PASSWORD")),
		Host: net.JoinHostPort(get("DB_HOSTNAME", "localhost"), get("DB_PORT", "5432")), Path: "/balancedb",
		RawQuery: "sslmode=disable"}
	return u.String()
}

// A lookup by primary key, prepared while its table was small and run often,
// still uses the index once the table has grown (autovacuum had not analyzed
// it again yet): the command handler's lookup of handled commands on a fresh
// database.
func TestLookupPreparedOnASmallTableUsesTheIndexOnceItGrew(t *testing.T) {
	ctx := context.Background()
	pc, err := Config(balancedbURL(), 1) // one connection: the temporary table and the statement live on it
	if err != nil {
		t.Fatal(err)
	}
	PlanEveryExecution(pc)
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		t.Fatalf("connect to balancedb: %v", err)
	}
	defer pool.Close()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatalf("connect to balancedb: %v", err)
	}
	defer conn.Release()
	c := conn.Conn()
	for _, sql := range []string{
		`CREATE TEMPORARY TABLE handled (id uuid PRIMARY KEY, what text NOT NULL)`,
		`INSERT INTO handled SELECT gen_random_uuid(), repeat('x', 100) FROM generate_series(1, 100)`,
		`ANALYZE handled`, // as autovacuum does early on, while the table is small
	} {
		if _, err := c.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Prepare(ctx, "lookup", `SELECT what FROM handled WHERE id = ANY($1)`); err != nil {
		t.Fatal(err)
	}
	for range 10 { // more than the five runs after which PostgreSQL may keep a generic plan
		if _, err := c.Exec(ctx, "lookup", []uuid.UUID{uuid.New()}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Exec(ctx, `INSERT INTO handled SELECT gen_random_uuid(), repeat('x', 100) FROM generate_series(1, 20000)`); err != nil {
		t.Fatal(err)
	}
	var plan []string
	rows, err := c.Query(ctx, fmt.Sprintf(`EXPLAIN EXECUTE lookup('{%s}')`, uuid.New()))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if p := strings.Join(plan, "\n"); strings.Contains(p, "Seq Scan") {
		t.Fatalf("the lookup scans the whole table:\n%s", p)
	}
}
