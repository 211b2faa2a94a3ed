package balancedb

import (
	"context"
	"fmt"

	"openbank/services/command-handler/internal/domain/ledger"
)

// decidedSince reads the commands first read at or after the given offset of
// their partition, in the order they were decided (older rows, without that
// order, first).
const decidedSince = `SELECT id, kind, kafka_partition, kafka_offset, reason, iban, a_type,
	amount, from_iban, to_iban, description, from_balance, to_balance
	FROM command c JOIN unnest($1::integer[], $2::bigint[]) AS f(p, o)
		ON c.kafka_partition = f.p AND c.kafka_offset >= f.o
	ORDER BY c.decided_batch NULLS FIRST, c.decided_pos, c.handled_at`

// DecidedSince returns the commands read from a partition of from at or after
// its offset there, in the order they were decided: after a crash, those whose
// events may never have been published.
func (s *Store) DecidedSince(ctx context.Context, from map[int32]int64) ([]ledger.Handled, error) {
	if len(from) == 0 {
		return nil, nil
	}
	parts := make([]int32, 0, len(from))
	offsets := make([]int64, 0, len(from))
	for p, o := range from {
		parts, offsets = append(parts, p), append(offsets, o)
	}
	rows, err := s.pool.Query(ctx, decidedSince, parts, offsets)
	if err != nil {
		return nil, fmt.Errorf("read commands decided since the committed offsets: %w", err)
	}
	defer rows.Close()
	var out []ledger.Handled
	for rows.Next() {
		h, err := scanHandled(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read commands decided since the committed offsets: %w", err)
	}
	return out, nil
}
