package balancedb

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Day is the width of one partition of command: a day's records are dropped
// together once the whole day left the window.
const Day = 24 * time.Hour

// Ahead is how many days after today have a partition ready, so a clock a
// little ahead, or a job that missed a run, never finds no partition for now.
const Ahead = 2

// A partition of command is named for its range (UTC days):
// command_dYYYYMMDD holds that day, command_before_dYYYYMMDD everything before
// that day (the rows from before the table was partitioned).
var partitionName = regexp.MustCompile(`^command_(before_)?d(\d{8})$`)

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
	day, err := time.Parse("20060102", m[2])
	if err != nil {
		return span{}, false
	}
	if m[1] != "" {
		return span{name: name, upto: day}, true
	}
	return span{name: name, from: day, upto: day.Add(Day)}, true
}

func dayName(day time.Time) string { return "command_d" + day.Format("20060102") }

// Plan is what KeepWindow does at now: the days to create (from today to
// Ahead days on, where no partition covers them yet) and the partitions to
// drop (those wholly older than now - window). A record handled at or after
// now - window is in a partition that is kept.
func Plan(existing []string, now time.Time, window time.Duration) (create []time.Time, drop []string) {
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
	today := now.UTC().Truncate(Day)
	for d := range Ahead + 1 {
		day := today.Add(time.Duration(d) * Day)
		covered := slices.ContainsFunc(spans, func(s span) bool { return !day.Before(s.from) && day.Before(s.upto) })
		if !covered {
			create = append(create, day)
		}
	}
	slices.Sort(drop)
	return create, drop
}

// Window maintenance takes this advisory lock (in its transaction), so two
// handler instances do not create the same day at once.
const windowLock = 0x0b4e_c0de

// KeepWindow keeps command's partitions for a window ending at now: creates
// the next days' and drops the days older than window, in one short
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
		create, drop := Plan(existing, now, window)
		for _, day := range create {
			name := dayName(day)
			sql := fmt.Sprintf(`CREATE TABLE %s PARTITION OF command FOR VALUES FROM ('%s') TO ('%s')`,
				pgx.Identifier{name}.Sanitize(), day.Format(time.RFC3339), day.Add(Day).Format(time.RFC3339))
			if _, err := tx.Exec(ctx, sql); err != nil {
				return fmt.Errorf("create partition %s: %w", name, err)
			}
			created = append(created, name)
		}
		for _, name := range drop {
			if _, err := tx.Exec(ctx, `DROP TABLE `+pgx.Identifier{name}.Sanitize()); err != nil {
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
