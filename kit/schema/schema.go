// Package schema applies a service's database migrations, embedded in its
// binary, with golang-migrate. Every service with a database does it the same
// way: at start unless MIGRATE_ON_START=false, or once with its `migrate`
// subcommand; files are named 000001_what.up.sql / 000001_what.down.sql.
package schema

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"regexp"
	"time"

	"openbank/kit/pgpool"
	"openbank/kit/retry"

	"github.com/jackc/pgx/v5"

	"github.com/golang-migrate/migrate/v4"
	_ "github.com/golang-migrate/migrate/v4/database/pgx/v5" // the pgx5:// driver
	"github.com/golang-migrate/migrate/v4/source/iofs"
)

// Up brings the database at url (pgx5://…) up to the migrations in dir of
// files and returns the schema version. Instances starting together are safe:
// golang-migrate holds an advisory lock meanwhile.
func Up(files fs.FS, dir, url string) (version uint, err error) {
	src, err := iofs.New(files, dir)
	if err != nil {
		return 0, fmt.Errorf("read embedded migrations: %w", err)
	}
	m, err := migrate.NewWithSourceInstance("iofs", src, url)
	if err != nil {
		return 0, fmt.Errorf("connect for migrations: %w", err)
	}
	defer func() {
		if srcErr, dbErr := m.Close(); err == nil && (srcErr != nil || dbErr != nil) {
			err = fmt.Errorf("close migrations: %w", errors.Join(srcErr, dbErr))
		}
	}()
	if err := m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return 0, fmt.Errorf("apply migrations: %w", err)
	}
	v, dirty, err := m.Version()
	if err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	if dirty {
		return v, fmt.Errorf("schema version %d is dirty: a migration failed half-way", v)
	}
	return v, nil
}

// UpWhenReachable runs up until it succeeds or ctx ends, waiting for the
// database to come up (from 100 ms up to 5 s between attempts).
func UpWhenReachable(ctx context.Context, log *slog.Logger, up func() (uint, error)) error {
	return retry.Do(ctx, log, "migrations", retry.Policy{Initial: 100 * time.Millisecond}, func() error {
		v, err := up()
		if err == nil {
			log.Info("schema up to date", "version", v)
		}
		return err
	})
}

// fileName is the one naming scheme: a six-digit version, a name, the direction.
var fileName = regexp.MustCompile(`^[0-9]{6}_[a-z0-9_]+\.(up|down)\.sql$`)

// CheckNames says which files in dir break the naming scheme, or lack their
// other direction; a service's unit test calls it on its embedded files.
func CheckNames(files fs.FS, dir string) error {
	entries, err := fs.ReadDir(files, dir)
	if err != nil {
		return fmt.Errorf("read %s: %w", dir, err)
	}
	var errs []error
	have := map[string]bool{}
	for _, e := range entries {
		have[e.Name()] = true
	}
	for _, e := range entries {
		name := e.Name()
		m := fileName.FindStringSubmatch(name)
		if m == nil {
			errs = append(errs, fmt.Errorf("%s: want 000001_name.up.sql or 000001_name.down.sql", name))
			continue
		}
		other := map[string]string{"up": "down", "down": "up"}[m[1]]
		if pair := name[:len(name)-len(m[1])-len(".sql")] + other + ".sql"; !have[pair] {
			errs = append(errs, fmt.Errorf("%s: no %s", name, pair))
		}
	}
	if len(entries) == 0 {
		errs = append(errs, fmt.Errorf("%s: no migrations", dir))
	}
	return errors.Join(errs...)
}

// GrantRuntime gives role, a service's runtime role, what it needs in the
// database at url (postgres://…, as the owner that applied the migrations)
// and no more: USAGE on the schema, SELECT, INSERT, UPDATE and DELETE on its
// tables (not golang-migrate's schema_migrations) and USAGE on its sequences,
// now and, through default privileges, on those later migrations add, and
// EXECUTE on the schema's functions (what a migration lets it do as the owner),
// all in the connection's current schema (public unless url's search_path says). It
// owns nothing, so it can neither ALTER, DROP nor CREATE there. Nothing is
// granted when role is the owner itself.
func GrantRuntime(ctx context.Context, url, role string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("connect to grant %s its rights: %w", role, err)
	}
	defer conn.Close(context.Background())
	var owner, schema string
	if err := conn.QueryRow(ctx, `SELECT current_user, current_schema()`).Scan(&owner, &schema); err != nil {
		return fmt.Errorf("grant %s its rights: %w", role, err)
	}
	if owner == role {
		return nil
	}
	r, in := pgx.Identifier{role}.Sanitize(), pgx.Identifier{schema}.Sanitize()
	for _, sql := range []string{
		`GRANT USAGE ON SCHEMA ` + in + ` TO ` + r,
		`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ` + in + ` TO ` + r,
		`REVOKE ALL ON TABLE schema_migrations FROM ` + r,
		`GRANT USAGE ON ALL SEQUENCES IN SCHEMA ` + in + ` TO ` + r,
		`ALTER DEFAULT PRIVILEGES IN SCHEMA ` + in + ` GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ` + r,
		`ALTER DEFAULT PRIVILEGES IN SCHEMA ` + in + ` GRANT USAGE ON SEQUENCES TO ` + r,
		// The schema's functions are the narrow doors its migrations open (the
		// command handler's dedup window partitions), so the role may call them.
		`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ` + in + ` TO ` + r,
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			return fmt.Errorf("grant %s its rights (%s): %w", role, sql, err)
		}
	}
	return nil
}

// Apply brings db's database up to the migrations in dir of files as the
// database's owner (db.Migrator()) and grants db.User its rights
// (GrantRuntime); it returns the schema version.
func Apply(files fs.FS, dir string, db pgpool.DB) (version uint, err error) {
	if db.MigratePassword == "" {
		return 0, fmt.Errorf("DB_MIGRATE_PASSWORD is not set: migrations run as the database's owner %s (DB_MIGRATE_USER)", db.MigrateUser)
	}
	owner := db.Migrator()
	if version, err = Up(files, dir, owner.URL("pgx5")); err != nil {
		return version, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return version, GrantRuntime(ctx, owner.URL("postgres"), db.User)
}
