// Package pgpool makes the connection pools of the bank's databases, so the
// services that keep state in PostgreSQL connect the same way.
package pgpool

import (
	"fmt"
	"net"
	"net/url"
	"strconv"

	"openbank/kit/env"

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

// DB is how a service reaches its database: the DB_* variables, read the
// same way by every service that has one (ReadDB).
type DB struct {
	Host     string // DB_HOSTNAME
	Port     int    // DB_PORT
	User     string // DB_USER
	Password string // DB_PASSWORD
	Database string // DB_NAME
	SSLMode  string // DB_SSLMODE: libpq's sslmode
	MaxConns int32  // DB_MAX_CONNS
	// The database's owner, used only to apply migrations (and grant User
	// its rights on the tables); the service itself runs as User.
	MigrateUser     string // DB_MIGRATE_USER
	MigratePassword string // DB_MIGRATE_PASSWORD
}

// SSLModes are libpq's sslmode values.
var SSLModes = []string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}

// ReadDB reads the DB_* variables; role and database are the service's own
// defaults, maxConns its pool size and maxConnsLimit the most it allows.
func ReadDB(e *env.Env, role, database string, maxConns, maxConnsLimit int) DB {
	return DB{
		Host:     e.String("DB_HOSTNAME", "localhost", "PostgreSQL host"),
		Port:     e.Int("DB_PORT", 5432, 1, 65535, "PostgreSQL port"),
		User:     e.String("DB_USER", role, "the service's database role, which may only read and write its tables ([security-limits.md](security-limits.md#tokens-and-database-roles))"),
		Password: e.Secret("DB_PASSWORD", 1, 1024, false, "the service role's password, required but by `migrate` (the local stack generates one into its env file)"),
		Database: e.String("DB_NAME", database, "database"),
		SSLMode:  e.OneOf("DB_SSLMODE", "prefer", SSLModes, "TLS to PostgreSQL"),
		MaxConns: int32(e.Int("DB_MAX_CONNS", maxConns, 2, maxConnsLimit, "pool size")),
		MigrateUser: e.String("DB_MIGRATE_USER", database+"_owner",
			"the database's owner role, used only to apply migrations ([security-limits.md](security-limits.md#tokens-and-database-roles))"),
		MigratePassword: e.Secret("DB_MIGRATE_PASSWORD", 1, 1024, false,
			"the owner role's password; needed only where migrations run (`MIGRATE_ON_START` or the `migrate` command)"),
	}
}

// Migrator is how the migrations reach the database: as its owner.
func (d DB) Migrator() DB {
	m := d
	m.User, m.Password = d.MigrateUser, d.MigratePassword
	return m
}

// URL is the connection string for scheme (postgres; pgx5 for migrations),
// the password escaped.
func (d DB) URL(scheme string) string {
	q := url.Values{}
	if d.SSLMode != "" {
		q.Set("sslmode", d.SSLMode)
	}
	u := url.URL{
		Scheme:   scheme,
		User:     url.UserPassword(d.User, d.Password),
		Host:     net.JoinHostPort(d.Host, strconv.Itoa(d.Port)),
		Path:     "/" + d.Database,
		RawQuery: q.Encode(),
	}
	return u.String()
}
