// Package pgpool makes the connection pools of the bank's databases, so the
// services that keep state in PostgreSQL connect the same way.
package pgpool

import (
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Config parses url (postgres://…) into a pool configuration with at most
// maxConns connections (0: pgx's default).
func Config(url string, maxConns int32) (*pgxpool.Config, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database configuration: %w", err)
	}
	if maxConns > 0 {
		pc.MaxConns = maxConns
	}
	return pc, nil
}

// PlanEveryExecution makes the pool's sessions plan every statement for its
// own arguments (plan_cache_mode force_custom_plan).
//
// With PostgreSQL's default, a prepared statement may switch to a generic plan
// after five executions; made while a table was analyzed small, that plan
// scans the whole table, and it is kept until the table is analyzed again. On
// a fresh database the command handler's lookup of handled commands by id read
// every row of `command` for every batch, and deciding a batch took 7–11 ms
// instead of 3 at 1,000 commands/s. Planning costs the database some CPU for
// every statement, so only a pool whose lookups need it asks for it.
func PlanEveryExecution(pc *pgxpool.Config) {
	pc.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
}
