package store

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"openbank/services/graphql-endpoint/internal/domain/account"
	"openbank/services/graphql-endpoint/internal/domain/transaction"
	"openbank/services/graphql-endpoint/internal/domain/transfer"
)

// Notification channels, raised at commit: ChannelTransactions by a trigger
// on transactions (its payload: where the rows are, DecodeStored; migration
// 000006), ChannelFeedback by the instance that stored answers (its payload:
// answers in JSON, DecodeFeedback).
const (
	ChannelTransactions = "transactions"
	ChannelFeedback     = "feedback"
)

// feedback is answers one instance stored, for whichever instance waits.
type feedback struct {
	Transfers []transfer.Result  `json:"t,omitempty"`
	Creations []account.Creation `json:"a,omitempty"`
}

// maxPayload keeps a notification under PostgreSQL's 8,000 bytes.
const maxPayload = 7000

// Cursors returns, per partition of balance_changed, the last offset stored
// now: what Stream starts after, so what is stored before is history.
func (s *Store) Cursors(ctx context.Context) (map[int32]int64, error) {
	progress, err := s.Progress(ctx)
	if err != nil {
		return nil, err
	}
	for p, next := range progress {
		progress[p] = next - 1
	}
	return progress, nil
}

// Stream returns rows stored after cursor (partition -> last offset read;
// a partition missing: from its start), at most limit per partition, each
// partition's in offset order, and moves cursor past them. One partition's
// rows commit in offset order (AddTransactions), so an offset read is never
// followed by a smaller one committing later; row ids give no such promise.
func (s *Store) Stream(ctx context.Context, cursor map[int32]int64, limit int) ([]transaction.Transaction, error) {
	parts, offsets := progressArrays(cursor)
	// balance_progress names every partition with rows and bounds its offsets,
	// so a partition with nothing new costs no index probe.
	rows, err := s.pool.Query(ctx, `
		SELECT t.`+txColumns+`, t.kafka_partition, t.kafka_offset, t.kafka_ts
		  FROM balance_progress bp
		  LEFT JOIN unnest($1::int[], $2::bigint[]) AS c(p, o) ON c.p = bp.kafka_partition
		 CROSS JOIN LATERAL (
		       SELECT * FROM transactions t
		        WHERE t.kafka_partition = bp.kafka_partition AND t.kafka_offset > COALESCE(c.o, -1)
		        ORDER BY t.kafka_offset LIMIT $3) t
		 WHERE bp.next_offset - 1 > COALESCE(c.o, -1)
		 ORDER BY t.kafka_partition, t.kafka_offset`, parts, offsets, limit)
	if err != nil {
		return nil, fmt.Errorf("stream transactions: %w", err)
	}
	txs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (transaction.Transaction, error) {
		var part int32
		var offset int64
		var at *time.Time
		t, err := scanTx(r, &part, &offset, &at)
		t.Partition, t.Offset = part, offset
		if at != nil {
			t.At = *at
		}
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("stream transactions: %w", err)
	}
	for _, t := range txs {
		cursor[t.Partition] = max(cursor[t.Partition], t.Offset)
	}
	return txs, nil
}

// Listen hands every notification on ChannelTransactions and ChannelFeedback
// to fn until ctx ends, on a connection of its own. After the connection
// failed it reconnects and calls fn with channel "": notifications may have
// been missed meanwhile.
func (s *Store) Listen(ctx context.Context, fn func(channel, payload string), log *slog.Logger) {
	for first := true; ctx.Err() == nil; first = false {
		if !first {
			fn("", "")
		}
		err := s.listen(ctx, fn)
		if ctx.Err() != nil {
			return
		}
		log.Warn("transactiondb notifications lost, reconnecting", "error", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (s *Store) listen(ctx context.Context, fn func(channel, payload string)) error {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, ch := range []string{ChannelTransactions, ChannelFeedback} {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return fmt.Errorf("listen %s: %w", ch, err)
		}
	}
	fn("", "") // listening now: what came before is read from the tables
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("wait for notification: %w", err)
		}
		fn(n.Channel, n.Payload)
	}
}

// DecodeStored reads a ChannelTransactions payload: per partition of
// balance_changed the newest offset the statement stored ("3:1041,7:998").
// ok false: it says nothing (the trigger of migration 000005 sent none).
func DecodeStored(payload string) (upTo map[int32]int64, ok bool) {
	if payload == "" {
		return nil, false
	}
	upTo = map[int32]int64{}
	for part := range strings.SplitSeq(payload, ",") {
		p, o, found := strings.Cut(part, ":")
		pn, err1 := strconv.ParseInt(p, 10, 32)
		on, err2 := strconv.ParseInt(o, 10, 64)
		if !found || err1 != nil || err2 != nil {
			return nil, false
		}
		upTo[int32(pn)] = max(upTo[int32(pn)], on)
	}
	return upTo, true
}

// DecodeFeedback reads a ChannelFeedback payload.
func DecodeFeedback(payload string) ([]account.Creation, []transfer.Result, error) {
	var f feedback
	if err := json.Unmarshal([]byte(payload), &f); err != nil {
		return nil, nil, fmt.Errorf("feedback notification: %w", err)
	}
	return f.Creations, f.Transfers, nil
}

// notifyFeedback queues f on ChannelFeedback in tx (sent at its commit), in
// payloads under maxPayload.
func notifyFeedback(ctx context.Context, tx pgx.Tx, f feedback) error {
	var chunk feedback
	size := 0
	flush := func() error {
		if size == 0 {
			return nil
		}
		b, err := json.Marshal(chunk)
		if err != nil {
			return err
		}
		chunk, size = feedback{}, 0
		_, err = tx.Exec(ctx, `SELECT pg_notify($1, $2)`, ChannelFeedback, string(b))
		return err
	}
	add := func(v any, appendTo func()) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if size+len(b) > maxPayload {
			if err := flush(); err != nil {
				return err
			}
		}
		appendTo()
		size += len(b) + 1
		return nil
	}
	for _, r := range f.Transfers {
		if err := add(r, func() { chunk.Transfers = append(chunk.Transfers, r) }); err != nil {
			return fmt.Errorf("notify feedback: %w", err)
		}
	}
	for _, c := range f.Creations {
		c.Token = "" // a secret stays in its table: whoever waits reads it there
		if err := add(c, func() { chunk.Creations = append(chunk.Creations, c) }); err != nil {
			return fmt.Errorf("notify feedback: %w", err)
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("notify feedback: %w", err)
	}
	return nil
}
