package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"openbank/services/graphql-endpoint/internal/domain/transaction"
)

const txColumns = `id, command_id, iban, new_balance, changed_by, from_to, descr`

// scanTx reads txColumns, then any columns after them into extra.
func scanTx(row pgx.Row, extra ...any) (transaction.Transaction, error) {
	var t transaction.Transaction
	err := row.Scan(append([]any{&t.ID, &t.CommandID, &t.IBAN, &t.NewBalance, &t.ChangedBy, &t.FromTo, &t.Descr}, extra...)...)
	return t, err
}

// AddTransactions stores txs (their ID ignored), each (command id, iban)
// once, and returns the rows it added, with their ids: a change stored
// before (a redelivery after a rebalance) adds none.
//
// progress (balance_changed partition -> next offset) is recorded in the same
// statement, so it never runs ahead of the rows. Callers give the changes in
// (partition, offset) order: two instances (the old and the new owner of a
// partition during a rebalance) then take row locks in the same order and
// cannot deadlock, and one partition's rows commit in offset order, which
// Stream's per-partition cursor relies on.
func (s *Store) AddTransactions(ctx context.Context, txs []transaction.Transaction, progress map[int32]int64) (inserted []transaction.Transaction, err error) {
	if len(txs) == 0 {
		return nil, s.RecordProgress(ctx, progress)
	}
	parts, offsets := progressArrays(progress)
	type key struct{ cmd, iban string }
	seen := make(map[key]bool, len(txs))
	n := len(txs)
	cmds, ibans, fromTos, descrs := make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
	balances, changes, kOffsets := make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n)
	kParts, kTimes := make([]int32, 0, n), make([]time.Time, 0, n)
	for _, t := range txs {
		if k := (key{t.CommandID, t.IBAN}); seen[k] {
			continue // a change twice in the batch is stored at its first place
		} else {
			seen[k] = true
		}
		cmds, ibans, fromTos, descrs = append(cmds, t.CommandID), append(ibans, t.IBAN), append(fromTos, t.FromTo), append(descrs, t.Descr)
		balances, changes = append(balances, t.NewBalance), append(changes, t.ChangedBy)
		kParts, kOffsets, kTimes = append(kParts, t.Partition), append(kOffsets, t.Offset), append(kTimes, t.At)
	}
	// WITH ORDINALITY + ORDER BY keeps row ids in the order the changes happened.
	rows, err := s.pool.Query(ctx, `
		WITH progress AS (`+upsertProgress("$10", "$11")+`)
		INSERT INTO transactions (command_id, iban, new_balance, changed_by, from_to, descr, kafka_partition, kafka_offset, kafka_ts)
		SELECT c, i, b, ch, f, d, p, o, ts
		  FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::int[], $8::bigint[], $9::timestamptz[])
		       WITH ORDINALITY AS u(c, i, b, ch, f, d, p, o, ts, n)
		 ORDER BY n
		ON CONFLICT (command_id, iban) DO NOTHING
		RETURNING id, kafka_partition, kafka_offset`,
		cmds, ibans, balances, changes, fromTos, descrs, kParts, kOffsets, kTimes, parts, offsets)
	if err != nil {
		return nil, fmt.Errorf("insert transactions: %w", err)
	}
	inserted, err = pgx.AppendRows(make([]transaction.Transaction, 0, len(cmds)), rows, func(r pgx.CollectableRow) (transaction.Transaction, error) {
		var id int64
		var at transaction.Transaction
		if err := r.Scan(&id, &at.Partition, &at.Offset); err != nil {
			return transaction.Transaction{}, err
		}
		// txs is in (partition, offset) order: the returned place finds its change.
		i, found := slices.BinarySearchFunc(txs, at, transaction.ByPlace)
		if !found {
			return transaction.Transaction{}, fmt.Errorf("a row at %d/%d that is not in the batch", at.Partition, at.Offset)
		}
		t := txs[i]
		t.ID = id
		return t, nil
	})
	if err != nil {
		return nil, fmt.Errorf("insert transactions: %w", err)
	}
	return inserted, nil
}

// TransactionByID returns the transaction with row id, or ok false.
func (s *Store) TransactionByID(ctx context.Context, id int64) (t transaction.Transaction, ok bool, err error) {
	t, err = scanTx(s.pool.QueryRow(ctx, `SELECT `+txColumns+` FROM transactions WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return t, false, nil
	}
	if err != nil {
		return t, false, fmt.Errorf("transaction %d: %w", id, err)
	}
	return t, true, nil
}

// TransactionsByIBAN returns the newest max transactions of iban, newest first.
func (s *Store) TransactionsByIBAN(ctx context.Context, iban string, max int) ([]transaction.Transaction, error) {
	return s.list(ctx, `SELECT `+txColumns+` FROM transactions WHERE iban = $1 ORDER BY id DESC LIMIT $2`, iban, max)
}

// LastTransactions returns the newest transaction of each of the first limit
// ibans, by iban. It walks the (iban, id) index from iban to iban (a loose
// index scan), so it reads about limit index entries, not the whole table.
func (s *Store) LastTransactions(ctx context.Context, limit int) ([]transaction.Transaction, error) {
	return s.list(ctx, `
		WITH RECURSIVE ibans(iban) AS (
		    (SELECT iban FROM transactions ORDER BY iban LIMIT 1)
		    UNION ALL
		    SELECT (SELECT t.iban FROM transactions t WHERE t.iban > i.iban ORDER BY t.iban LIMIT 1)
		      FROM ibans i WHERE i.iban IS NOT NULL
		)
		SELECT last.id, last.command_id, last.iban, last.new_balance, last.changed_by, last.from_to, last.descr
		  FROM ibans i
		 CROSS JOIN LATERAL (SELECT * FROM transactions t WHERE t.iban = i.iban ORDER BY t.id DESC LIMIT 1) last
		 WHERE i.iban IS NOT NULL
		 LIMIT $1`, limit)
}

func (s *Store) list(ctx context.Context, sql string, args ...any) ([]transaction.Transaction, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("query transactions: %w", err)
	}
	txs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (transaction.Transaction, error) { return scanTx(r) })
	if err != nil {
		return nil, fmt.Errorf("query transactions: %w", err)
	}
	return txs, nil
}

// RecordProgress notes that balance_changed is stored up to (not including)
// next[partition]; progress only moves forward.
func (s *Store) RecordProgress(ctx context.Context, next map[int32]int64) error {
	if len(next) == 0 {
		return nil
	}
	parts, offsets := progressArrays(next)
	_, err := s.pool.Exec(ctx, upsertProgress("$1", "$2"), parts, offsets)
	if err != nil {
		return fmt.Errorf("record progress: %w", err)
	}
	return nil
}

// upsertProgress moves balance_progress forward, in partition order (lock
// order), with the partitions and offsets in the given parameters.
func upsertProgress(partitions, offsets string) string {
	return `
	INSERT INTO balance_progress (kafka_partition, next_offset)
	SELECT p, o FROM unnest(` + partitions + `::int[], ` + offsets + `::bigint[]) AS v(p, o) ORDER BY p
	ON CONFLICT (kafka_partition) DO UPDATE
	   SET next_offset = GREATEST(balance_progress.next_offset, EXCLUDED.next_offset)`
}

func progressArrays(next map[int32]int64) ([]int32, []int64) {
	parts := make([]int32, 0, len(next))
	for p := range next {
		parts = append(parts, p)
	}
	slices.Sort(parts)
	offsets := make([]int64, len(parts))
	for i, p := range parts {
		offsets[i] = next[p]
	}
	return parts, offsets
}

// Progress returns the next offset to store, per partition of balance_changed.
func (s *Store) Progress(ctx context.Context) (map[int32]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT kafka_partition, next_offset FROM balance_progress`)
	if err != nil {
		return nil, fmt.Errorf("read progress: %w", err)
	}
	defer rows.Close()
	out := map[int32]int64{}
	for rows.Next() {
		var p int32
		var o int64
		if err := rows.Scan(&p, &o); err != nil {
			return nil, fmt.Errorf("read progress: %w", err)
		}
		out[p] = o
	}
	return out, rows.Err()
}
