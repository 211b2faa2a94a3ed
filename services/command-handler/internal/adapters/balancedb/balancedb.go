// Package balancedb keeps the command handler's state in PostgreSQL (balancedb):
// the accounts and, per command id, what the command led to. One transaction
// per batch of commands, with a constant number of round trips.
package balancedb

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"openbank/kit/pgpool"
	"openbank/kit/schema"
	"openbank/services/command-handler/internal/domain/ledger"
	"openbank/topology/ident"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Config is how to reach balancedb.
type Config = pgpool.DB

// Migrate brings the schema up to date as the database's owner and grants
// the service's role its rights (kit/schema: the embedded migrations, under
// golang-migrate's advisory lock) and returns its version.
func Migrate(cfg Config) (version uint, err error) {
	return schema.Apply(migrations, "migrations", cfg)
}

// Store is the pool of connections to balancedb.
type Store struct {
	pool *pgxpool.Pool
}

// Open connects a pool; connections are made when first needed.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	pc, err := pgpool.Config(cfg.URL("postgres"), cfg.MaxConns)
	if err != nil {
		return nil, err
	}
	// Looking up handled commands by id must not fall back to scanning them all.
	pgpool.PlanEveryExecution(pc)
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("database pool: %w", err)
	}
	return &Store{pool: pool}, nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// Close closes every connection.
func (s *Store) Close() { s.pool.Close() }

// Decide is one batch's transaction: it waits for other batches of the
// commands partitions it reads from, locks the existing accounts among ibans
// and reads the commands among ids handled before, lets decide change the
// book and name the commands it decided, then writes both and commits. When
// decide fails nothing is written.
func (s *Store) Decide(ctx context.Context, partitions []int32, ibans []string, ids [][16]byte,
	decide func(ledger.Book, map[[16]byte]ledger.Handled) ([]ledger.Handled, error)) error {
	tx, err := s.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	book, handled, err := tx.Load(ctx, partitions, ibans, ids)
	if err != nil {
		return err
	}
	newly, err := decide(book, handled)
	if err != nil {
		return err
	}
	return tx.Commit(ctx, book, newly)
}

// Tx is the transaction of one batch of commands. BEGIN travels with the
// first statements and COMMIT with the last, so a batch costs two round trips.
type Tx struct {
	conn *pgxpool.Conn
	// balance of each loaded account when it was locked, to write back only changes
	loaded map[string]int64
}

// Begin takes a connection for a batch's transaction; Load starts it.
func (s *Store) Begin(ctx context.Context) (*Tx, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("acquire a database connection: %w", err)
	}
	return &Tx{conn: conn}, nil
}

// Rollback ends the transaction without changes (after Commit there is none
// left) and gives the connection back; call it always.
func (t *Tx) Rollback(ctx context.Context) {
	if t.conn == nil {
		return
	}
	if t.conn.Conn().PgConn().TxStatus() != 'I' {
		// If even this fails the pool drops the connection, which rolls back too.
		_, _ = t.conn.Exec(ctx, "ROLLBACK")
	}
	t.conn.Release()
	t.conn = nil
}

const (
	// A transaction-scoped lock per commands partition (first key
	// partitionLockText), taken first and in partition order: batches of one
	// partition run one after the other, also on two instances during a
	// rebalance, so the read of handled commands below sees every id a batch
	// of that partition stored before (path.go: "one record per command id").
	lockPartitions = `SELECT pg_advisory_xact_lock(` + partitionLockText + `, p)
		FROM (SELECT p FROM unnest($1::integer[]) AS p ORDER BY p) AS parts`
	// Locking in iban order means two batches touching the same accounts wait
	// for each other instead of deadlocking (LockRows runs above the Sort).
	lockAccounts = `SELECT iban, token_hash, amount, lmt, a_type FROM balance
		WHERE iban = ANY($1) ORDER BY iban FOR UPDATE`
	// Read after the locks, so a command another instance handled on the same
	// accounts meanwhile is seen (each statement takes a fresh snapshot).
	handledCommands = `SELECT id, kind, kafka_partition, kafka_offset, reason, iban, a_type,
		amount, from_iban, to_iban, description, from_balance, to_balance FROM command WHERE id = ANY($1)`
)

// partitionLockText is the first key of the partition locks: ASCII "cmdp",
// so they meet no other advisory lock of balancedb.
const partitionLockText = "1668113520"

// Load waits for the locks of partitions (the commands partitions the batch
// read from), locks the existing accounts among ibans and returns them, with
// the commands among ids that were handled before. One round trip.
func (t *Tx) Load(ctx context.Context, partitions []int32, ibans []string, ids [][16]byte) (ledger.Book, map[[16]byte]ledger.Handled, error) {
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue(lockPartitions, partitions)
	b.Queue(lockAccounts, ibans)
	b.Queue(handledCommands, ids)
	br := t.conn.SendBatch(ctx, b)
	defer br.Close()

	if _, err := br.Exec(); err != nil {
		return nil, nil, fmt.Errorf("begin: %w", err)
	}
	if _, err := br.Exec(); err != nil {
		return nil, nil, fmt.Errorf("lock commands partitions: %w", err)
	}
	book := make(ledger.Book, len(ibans))
	t.loaded = make(map[string]int64, len(ibans))
	rows, err := br.Query()
	if err != nil {
		return nil, nil, fmt.Errorf("lock accounts: %w", err)
	}
	for rows.Next() {
		a := &ledger.Account{}
		if err := rows.Scan(&a.IBAN, &a.TokenHash, &a.Balance, &a.Limit, &a.AType); err != nil {
			return nil, nil, fmt.Errorf("read account: %w", err)
		}
		book[a.IBAN] = a
		t.loaded[a.IBAN] = a.Balance
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("lock accounts: %w", err)
	}

	handled := map[[16]byte]ledger.Handled{}
	rows, err = br.Query()
	if err != nil {
		return nil, nil, fmt.Errorf("read handled commands: %w", err)
	}
	for rows.Next() {
		h, err := scanHandled(rows)
		if err != nil {
			return nil, nil, err
		}
		handled[h.ID] = h
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read handled commands: %w", err)
	}
	return book, handled, br.Close()
}

func scanHandled(rows pgx.Rows) (ledger.Handled, error) {
	var (
		h                                   ledger.Handled
		kind                                int16
		reason, iban, aType, from, to, desc *string
		amount, fromBalance, toBalance      *int64
	)
	if err := rows.Scan(&h.ID, &kind, &h.Partition, &h.Offset, &reason, &iban, &aType,
		&amount, &from, &to, &desc, &fromBalance, &toBalance); err != nil {
		return h, fmt.Errorf("read handled command: %w", err)
	}
	o := &h.Outcome
	o.Kind = ledger.Kind(kind)
	// A creation's token is not stored: the handler derives it from the id.
	o.Reason, o.IBAN, o.AType = deref(reason), deref(iban), deref(aType)
	o.Transfer = ledger.Transfer{Amount: deref(amount), From: deref(from), To: deref(to), Description: deref(desc)}
	o.Debited, o.FromBalance = fromBalance != nil, deref(fromBalance)
	o.Credited, o.ToBalance = toBalance != nil, deref(toBalance)
	return h, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func ptrIf[T any](ok bool, v T) *T {
	if !ok {
		return nil
	}
	return &v
}

const (
	insertAccounts = `INSERT INTO balance (iban, token_hash, amount, lmt, a_type)
		SELECT * FROM unnest($1::text[], $2::bytea[], $3::bigint[], $4::bigint[], $5::text[])`
	updateBalances = `UPDATE balance b SET amount = u.amount, updated_at = now()
		FROM unnest($1::text[], $2::bigint[]) AS u(iban, amount) WHERE b.iban = u.iban`
	// One number per batch, taken after its accounts are locked (see migration 3).
	insertCommands = `WITH batch AS (SELECT nextval('command_batch_seq') AS n)
		INSERT INTO command (id, kind, kafka_partition, kafka_offset, reason, iban, a_type,
		amount, from_iban, to_iban, description, from_balance, to_balance, decided_pos, decided_batch)
		SELECT u.*, batch.n FROM unnest($1::uuid[], $2::smallint[], $3::integer[], $4::bigint[], $5::text[], $6::text[],
			$7::text[], $8::bigint[], $9::text[], $10::text[], $11::text[], $12::bigint[], $13::bigint[],
			$14::integer[]) AS u, batch`
)

// Commit writes the accounts of book that are new or changed and the newly
// handled commands, and commits: all of it or nothing, in one round trip.
func (t *Tx) Commit(ctx context.Context, book ledger.Book, handled []ledger.Handled) error {
	var newIBAN, newType, changedIBAN []string
	var newHash [][]byte
	var newBalance, newLimit, changedBalance []int64
	for iban, a := range book {
		was, loaded := t.loaded[iban]
		switch {
		case !loaded:
			newIBAN, newHash, newType = append(newIBAN, iban), append(newHash, a.TokenHash), append(newType, a.AType)
			newBalance, newLimit = append(newBalance, a.Balance), append(newLimit, a.Limit)
		case was != a.Balance:
			changedIBAN, changedBalance = append(changedIBAN, iban), append(changedBalance, a.Balance)
		}
	}
	// Inserted in id order (a habit from when id was the primary key; the
	// partition locks of Load now keep two instances apart); the order they
	// were decided in is kept in decided_pos.
	pos := make(map[[16]byte]int32, len(handled))
	for i, h := range handled {
		pos[h.ID] = int32(i)
	}
	handled = slices.Clone(handled)
	slices.SortFunc(handled, func(a, b ledger.Handled) int { return bytes.Compare(a.ID[:], b.ID[:]) })
	n := len(handled)
	var (
		ids                                   = make([][16]byte, 0, n)
		kinds                                 = make([]int16, 0, n)
		parts, positions                      = make([]int32, 0, n), make([]int32, 0, n)
		offsets                               = make([]int64, 0, n)
		reasons, ibans, types, froms, tos, ds = make([]*string, 0, n), make([]*string, 0, n), make([]*string, 0, n), make([]*string, 0, n), make([]*string, 0, n), make([]*string, 0, n)
		amounts, fromBalances, toBalances     = make([]*int64, 0, n), make([]*int64, 0, n), make([]*int64, 0, n)
	)
	for _, h := range handled {
		o := h.Outcome
		transfer := o.Kind == ledger.KindMoneyTransfer
		created := o.Kind == ledger.KindAccountCreation
		ids, kinds = append(ids, h.ID), append(kinds, int16(o.Kind))
		parts, offsets = append(parts, h.Partition), append(offsets, h.Offset)
		positions = append(positions, pos[h.ID])
		reasons = append(reasons, ptrIf(!o.Confirmed(), o.Reason))
		ibans = append(ibans, ptrIf(created && o.Confirmed(), o.IBAN))
		types = append(types, ptrIf(created, o.AType))
		amounts = append(amounts, ptrIf(transfer, o.Transfer.Amount))
		froms = append(froms, ptrIf(transfer, o.Transfer.From))
		tos = append(tos, ptrIf(transfer, o.Transfer.To))
		ds = append(ds, ptrIf(transfer, o.Transfer.Description))
		fromBalances = append(fromBalances, ptrIf(o.Debited, o.FromBalance))
		toBalances = append(toBalances, ptrIf(o.Credited, o.ToBalance))
	}

	b := &pgx.Batch{}
	if len(newIBAN) > 0 {
		b.Queue(insertAccounts, newIBAN, newHash, newBalance, newLimit, newType)
	}
	if len(changedIBAN) > 0 {
		b.Queue(updateBalances, changedIBAN, changedBalance)
	}
	if n > 0 {
		b.Queue(insertCommands, ids, kinds, parts, offsets, reasons, ibans, types,
			amounts, froms, tos, ds, fromBalances, toBalances, positions)
	}
	b.Queue("COMMIT")
	if err := t.conn.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("write and commit batch: %w", err)
	}
	return nil
}

// SetBankToken makes hash the token hash of the bank's own account (the
// migrations insert it without one): its token comes from configuration
// (BANK_TOKEN), never from the source, and a changed one takes effect here.
func (s *Store) SetBankToken(ctx context.Context, hash []byte) error {
	tag, err := s.pool.Exec(ctx, `UPDATE balance SET token_hash = $2, updated_at = now() WHERE iban = $1`, ident.OwnIBAN, hash)
	if err != nil {
		return fmt.Errorf("set the bank's own account's token: %w", err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("the bank's own account %s is missing: apply the migrations", ident.OwnIBAN)
	}
	return nil
}
