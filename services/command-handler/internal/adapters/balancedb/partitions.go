package balancedb

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Day is a UTC day; partitions start at one.
const Day = 24 * time.Hour

// Width is the span of handled_at one partition of command holds; its
// records are dropped together once all of it left the window. A lookup of
// a batch's ids probes every partition, so few wide ones are cheaper to read
// than many narrow ones (docs/reliability.md#deduplication-window): a week,
// so the default window spans three partitions, one of them still empty.
const Width = 7 * Day

// Ahead is how many partitions after the current one are made ready, so a
// clock a little ahead, or a job that missed runs, never finds no partition
// for now.
const Ahead = 1

// A partition of command is named for its range of handled_at, [from,
// upto) in UTC days: command_dFROM_dUPTO, or command_before_dUPTO for the rows
// from before the table was partitioned.
var partitionName = regexp.MustCompile(`^command_(?:before|d(\d{8}))_d(\d{8})$`)

// span is the range of handled_at a partition holds: [from, upto); from is
// the zero time for command_before_*.
type span struct {
	name       string
	from, upto time.Time
}

func parseSpan(name string) (span, bool) {
	m := partitionName.FindStringSubmatch(name)
	if m == nil {
		return span{}, false
	}
	s := span{name: name}
	var err error
	if m[1] != "" {
		if s.from, err = time.Parse("20060102", m[1]); err != nil {
			return span{}, false
		}
	}
	if s.upto, err = time.Parse("20060102", m[2]); err != nil {
		return span{}, false
	}
	return s, true
}

func (s span) String() string {
	return "command_d" + s.from.Format("20060102") + "_d" + s.upto.Format("20060102")
}

// plan is what KeepWindow does at now: the partitions to create and the
// partitions to drop. It creates the partition of now and Ahead after it,
// each Width wide from a multiple of Width since Monday 1 January of year 1
// (so from a Monday, UTC), less what existing partitions cover already (the
// first after command_before_* starts where that one ends). It drops the
// partitions wholly older than now - window: a record handled at or after
// now - window is in a partition that is kept.
func plan(existing []string, now time.Time, window time.Duration) (create []span, drop []string) {
	var spans []span
	for _, n := range existing {
		if s, ok := parseSpan(n); ok {
			spans = append(spans, s)
		}
	}
	edge := now.Add(-window)
	for _, s := range spans {
		if !s.upto.After(edge) {
			drop = append(drop, s.name)
		}
	}
	current := now.UTC().Truncate(Width)
	for i := range Ahead + 1 {
		want := span{from: current.Add(time.Duration(i) * Width)}
		want.upto = want.from.Add(Width)
		for _, s := range spans {
			if !want.from.Before(s.from) && want.from.Before(s.upto) {
				want.from = s.upto
			}
		}
		if want.from.Before(want.upto) {
			want.name = want.String()
			create = append(create, want)
		}
	}
	slices.Sort(drop)
	return create, drop
}

// Window maintenance takes this advisory lock (in its transaction), so two
// handler instances do not create the same partition at once.
const windowLock = 0x0b4e_c0de

// KeepWindow keeps command's partitions for a window ending at now: creates
// the current and next partitions and drops those older than window, in one short
// transaction. Creating or dropping a partition locks the whole table
// briefly; lock_timeout keeps a long batch from holding up every batch
// behind this job (the next run tries again). It returns what it changed.
func (s *Store) KeepWindow(ctx context.Context, now time.Time, window time.Duration) (created, dropped []string, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL lock_timeout = '5s'`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(windowLock)); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
			WHERE i.inhparent = 'command'::regclass`)
		if err != nil {
			return err
		}
		existing, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		create, drop := plan(existing, now, window)
		for _, p := range create {
			// As the schema's owner, through the one function that may (migration 6).
			if _, err := tx.Exec(ctx, `SELECT command_partition_create($1, $2, $3)`, p.name, p.from, p.upto); err != nil {
				return fmt.Errorf("create partition %s: %w", p.name, err)
			}
			created = append(created, p.name)
		}
		for _, name := range drop {
			if _, err := tx.Exec(ctx, `SELECT command_partition_drop($1)`, name); err != nil {
				return fmt.Errorf("drop partition %s: %w", name, err)
			}
			dropped = append(dropped, name)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("keep the dedup window's partitions of command: %w", err)
	}
	return created, dropped, nil
}
