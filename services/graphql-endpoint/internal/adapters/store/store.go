// Package store keeps the gateway's state in PostgreSQL (transactiondb):
// transactions, accounts of the web page's users, and money transfer results.
package store

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"openbank/kit/pgpool"
	"openbank/kit/schema"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Config is how to reach transactiondb.
type Config struct {
	pgpool.DB
	// SynchronousCommit is PostgreSQL's synchronous_commit for the gateway's
	// sessions; "" keeps the server's (on). "off" takes the fsync out of each
	// batch's latency, but a database crash may then lose the last rows while
	// their Kafka offsets are already committed.
	SynchronousCommit string
	// TokenSealKey seals the tokens kept in transactiondb (TOKEN_SEAL_KEY).
	TokenSealKey []byte
}

// URL is the connection string (the password escaped).
func (c Config) URL() string { return c.DB.URL("postgres") }

// Store is transactiondb.
type Store struct {
	pool *pgxpool.Pool
	seal *sealer
}

// Migrate brings the schema up to date as the database's owner and grants
// the service's role its rights (kit/schema: the embedded migrations, under
// golang-migrate's advisory lock) and returns its version.
func Migrate(cfg Config) (version uint, err error) {
	return schema.Apply(migrations, "migrations", cfg.DB)
}

// Open connects a pool; connections are made when first needed. The schema
// is Migrate's.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	seal, err := newSealer(cfg.TokenSealKey)
	if err != nil {
		return nil, err
	}
	pc, err := pgpool.Config(cfg.URL(), cfg.MaxConns)
	if err != nil {
		return nil, err
	}
	if cfg.SynchronousCommit != "" {
		pc.ConnConfig.RuntimeParams["synchronous_commit"] = cfg.SynchronousCommit
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", cfg.Database, err)
	}
	return &Store{pool: pool, seal: seal}, nil
}

// Close closes the connections.
func (s *Store) Close() { s.pool.Close() }

// Now is transactiondb's clock, against which rows' stored_at are compared.
func (s *Store) Now(ctx context.Context) (time.Time, error) {
	var now time.Time
	if err := s.pool.QueryRow(ctx, `SELECT now()`).Scan(&now); err != nil {
		return now, fmt.Errorf("transactiondb's time: %w", err)
	}
	return now, nil
}

// Ping checks the database answers (readiness).
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }
