// Package store keeps the gateway's state in PostgreSQL (transactiondb):
// transactions, accounts of the web page's users, and money transfer results.
package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"openbank/kit/schema"
	"openbank/services/graphql-endpoint/internal/transaction"
	"openbank/services/graphql-endpoint/internal/transfer"
	"openbank/topology/bank"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Config is how to reach transactiondb.
type Config struct {
	Host     string
	Port     int
	User     string
	Password string
	Database string
	// SSLMode is libpq's sslmode (disable, require, verify-full, ...); "" keeps
	// pgx's default (prefer).
	SSLMode  string
	MaxConns int
	// SynchronousCommit is PostgreSQL's synchronous_commit for the gateway's
	// sessions; "" keeps the server's (on). "off" takes the fsync out of each
	// batch's latency, but a database crash may then lose the last rows while
	// their Kafka offsets are already committed.
	SynchronousCommit string
}

// URL is the connection string (the password escaped).
func (c Config) URL() string { return c.url("postgres") }

func (c Config) url(scheme string) string {
	u := url.URL{
		Scheme: scheme,
		User:   url.UserPassword(c.User, c.Password),
		Host:   net.JoinHostPort(c.Host, strconv.Itoa(c.Port)),
		Path:   "/" + c.Database,
	}
	if c.SSLMode != "" {
		u.RawQuery = url.Values{"sslmode": {c.SSLMode}}.Encode()
	}
	return u.String()
}

// Store is transactiondb.
type Store struct {
	pool *pgxpool.Pool
}

// Migrate brings the schema up to date (kit/schema: the embedded migrations,
// under golang-migrate's advisory lock) and returns its version.
func Migrate(cfg Config) (version uint, err error) {
	return schema.Up(migrations, "migrations", cfg.url("pgx5"))
}

// Open connects a pool; connections are made when first needed. The schema
// is Migrate's.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	pc, err := pgxpool.ParseConfig(cfg.URL())
	if err != nil {
		return nil, fmt.Errorf("database config: %w", err)
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = int32(cfg.MaxConns)
	}
	if cfg.SynchronousCommit != "" {
		pc.ConnConfig.RuntimeParams["synchronous_commit"] = cfg.SynchronousCommit
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", cfg.Database, err)
	}
	return &Store{pool: pool}, nil
}

// Close closes the connections.
func (s *Store) Close() { s.pool.Close() }

// Ping checks the database answers (readiness).
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// ----------------------------------------------------------- transactions

const txColumns = `id, command_id, iban, new_balance, changed_by, from_to, descr`

func scanTx(row pgx.Row) (transaction.Transaction, error) {
	var t transaction.Transaction
	err := row.Scan(&t.ID, &t.CommandID, &t.IBAN, &t.NewBalance, &t.ChangedBy, &t.FromTo, &t.Descr)
	return t, err
}

// AddTransactions stores txs (their ID ignored) and returns them as stored,
// with row ids, in the given order, each (command id, iban) once. A change
// stored before (redelivery, or another instance was first) comes back with
// the existing row; inserted counts only the new rows.
//
// progress (balance_changed partition -> next offset) is recorded in the same
// statement, so it never runs ahead of the rows. Callers give the changes in
// (partition, offset) order: two instances then take row locks in the same
// order and cannot deadlock.
func (s *Store) AddTransactions(ctx context.Context, txs []transaction.Transaction, progress map[int32]int64) (stored []transaction.Transaction, inserted int, err error) {
	if len(txs) == 0 {
		return nil, 0, s.RecordProgress(ctx, progress)
	}
	parts, offsets := progressArrays(progress)
	type key struct{ cmd, iban string }
	var cmds, ibans, fromTos, descrs []string
	var balances, changes []int64
	order := make([]key, 0, len(txs))
	seen := make(map[key]bool, len(txs))
	for _, t := range txs {
		k := key{t.CommandID, t.IBAN}
		if seen[k] {
			continue
		}
		seen[k] = true
		order = append(order, k)
		cmds, ibans = append(cmds, t.CommandID), append(ibans, t.IBAN)
		balances, changes = append(balances, t.NewBalance), append(changes, t.ChangedBy)
		fromTos, descrs = append(fromTos, t.FromTo), append(descrs, t.Descr)
	}
	// WITH ORDINALITY + ORDER BY keeps row ids in the order the changes happened.
	rows, err := s.pool.Query(ctx, `
		WITH progress AS (`+upsertProgress("$7", "$8")+`)
		INSERT INTO transactions (command_id, iban, new_balance, changed_by, from_to, descr)
		SELECT c, i, b, ch, f, d
		  FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[])
		       WITH ORDINALITY AS u(c, i, b, ch, f, d, n)
		 ORDER BY n
		ON CONFLICT (command_id, iban) DO NOTHING
		RETURNING `+txColumns, cmds, ibans, balances, changes, fromTos, descrs, parts, offsets)
	if err != nil {
		return nil, 0, fmt.Errorf("insert transactions: %w", err)
	}
	byKey := make(map[key]transaction.Transaction, len(order))
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (transaction.Transaction, error) { return scanTx(r) })
	if err != nil {
		return nil, 0, fmt.Errorf("insert transactions: %w", err)
	}
	for _, t := range got {
		byKey[key{t.CommandID, t.IBAN}] = t
	}
	inserted = len(got)
	if inserted < len(order) {
		// The rest existed already: fan out what the database holds.
		rows, err := s.pool.Query(ctx, `
			SELECT `+txColumns+` FROM transactions
			 WHERE (command_id, iban) IN (SELECT * FROM unnest($1::text[], $2::text[]))`, cmds, ibans)
		if err != nil {
			return nil, 0, fmt.Errorf("read existing transactions: %w", err)
		}
		existing, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (transaction.Transaction, error) { return scanTx(r) })
		if err != nil {
			return nil, 0, fmt.Errorf("read existing transactions: %w", err)
		}
		for _, t := range existing {
			k := key{t.CommandID, t.IBAN}
			if _, ok := byKey[k]; !ok {
				byKey[k] = t
			}
		}
	}
	stored = make([]transaction.Transaction, 0, len(order))
	for _, k := range order {
		if t, ok := byKey[k]; ok {
			stored = append(stored, t)
		}
	}
	return stored, inserted, nil
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

// --------------------------------------------------------------- accounts

// Account is a user of the web page; IBAN and Token are empty while pending.
type Account struct {
	Username     string
	PasswordHash string
	CreationID   bank.CommandID
	IBAN         string
	Token        string
}

// Pending says the creation command has no answer yet.
func (a Account) Pending() bool { return a.IBAN == "" }

// AccountByUsername returns the account, or ok false.
func (s *Store) AccountByUsername(ctx context.Context, username string) (a Account, ok bool, err error) {
	var iban, token *string
	err = s.pool.QueryRow(ctx, `SELECT username, password_hash, creation_id, iban, token FROM accounts WHERE username = $1`,
		username).Scan(&a.Username, &a.PasswordHash, &a.CreationID, &iban, &token)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, false, nil
	}
	if err != nil {
		return a, false, fmt.Errorf("account %q: %w", username, err)
	}
	if iban != nil {
		a.IBAN = *iban
	}
	if token != nil {
		a.Token = *token
	}
	return a, true, nil
}

// AddPendingAccount inserts a pending account; created false means the
// username was taken meanwhile.
func (s *Store) AddPendingAccount(ctx context.Context, a Account) (created bool, err error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO accounts (username, password_hash, creation_id) VALUES ($1, $2, $3)
		ON CONFLICT (username) DO NOTHING`, a.Username, a.PasswordHash, a.CreationID)
	if err != nil {
		return false, fmt.Errorf("add account %q: %w", a.Username, err)
	}
	return tag.RowsAffected() == 1, nil
}

// DropPendingAccount deletes the account created by creationID if it is
// still pending (its creation failed or was given up).
func (s *Store) DropPendingAccount(ctx context.Context, creationID bank.CommandID) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM accounts WHERE creation_id = $1 AND iban IS NULL`, creationID); err != nil {
		return fmt.Errorf("drop pending account: %w", err)
	}
	return nil
}

// AccountCreation is the command handler's answer to a creation command.
type AccountCreation struct {
	CreationID bank.CommandID
	IBAN       string // empty when it failed
	Token      string
	Reason     string
}

// RecordAccountCreations fills in or deletes the pending accounts the answers
// are for; answers for other commands (the generator's) change nothing.
func (s *Store) RecordAccountCreations(ctx context.Context, answers []AccountCreation) error {
	if len(answers) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, a := range answers {
		if a.IBAN != "" {
			b.Queue(`UPDATE accounts SET iban = $2, token = $3 WHERE creation_id = $1 AND iban IS NULL`,
				a.CreationID, a.IBAN, a.Token)
		} else {
			b.Queue(`DELETE FROM accounts WHERE creation_id = $1 AND iban IS NULL`, a.CreationID)
		}
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("record account creations: %w", err)
	}
	return nil
}

// -------------------------------------------------------- transfer results

// TransferResult is the command handler's answer to a money transfer.
type TransferResult struct {
	ID      bank.CommandID
	Known   bool // false while the answer is awaited
	Success bool
	Reason  string
}

// ClaimTransfer records that cmd is being sent (now). claimed false means its
// id was sent before; existing is then what is known about it.
func (s *Store) ClaimTransfer(ctx context.Context, cmd transfer.Command) (claimed bool, existing TransferResult, err error) {
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO transfer_results (id, token, amount, from_iban, to_iban, descr, sent_at)
		VALUES ($1, $2, $3, $4, $5, $6, now()) ON CONFLICT (id) DO NOTHING`,
		cmd.ID, cmd.Token, cmd.Amount, cmd.From, cmd.To, cmd.Descr)
	if err != nil {
		return false, existing, fmt.Errorf("claim transfer %s: %w", cmd.ID, err)
	}
	if tag.RowsAffected() == 1 {
		return true, TransferResult{ID: cmd.ID}, nil
	}
	existing, err = s.TransferResult(ctx, cmd.ID)
	return false, existing, err
}

// ResendDue says whether unanswered transfer cmd.ID is to be sent again: it
// was last sent at least after ago (so whoever sent it has stopped waiting),
// or its sending failed. Only one caller gets due true per period. send is
// the command as first stored (cmd for a row from before commands were kept).
func (s *Store) ResendDue(ctx context.Context, cmd transfer.Command, after time.Duration) (send transfer.Command, due bool, err error) {
	send = cmd
	var token, from, to, descr *string
	var amount *int64
	err = s.pool.QueryRow(ctx, `
		UPDATE transfer_results SET sent_at = now()
		 WHERE id = $1 AND success IS NULL
		   AND (sent_at IS NULL OR sent_at <= now() - make_interval(secs => $2))
		RETURNING token, amount, from_iban, to_iban, descr`, cmd.ID, after.Seconds()).
		Scan(&token, &amount, &from, &to, &descr)
	if errors.Is(err, pgx.ErrNoRows) {
		return send, false, nil
	}
	if err != nil {
		return send, false, fmt.Errorf("resend transfer %s: %w", cmd.ID, err)
	}
	if token != nil && amount != nil && from != nil && to != nil && descr != nil {
		send = transfer.Command{ID: cmd.ID, Token: *token, Amount: *amount, From: *from, To: *to, Descr: *descr}
	}
	return send, true, nil
}

// TransferResult returns what is known about transfer id.
func (s *Store) TransferResult(ctx context.Context, id bank.CommandID) (TransferResult, error) {
	r := TransferResult{ID: id}
	var success *bool
	var reason *string
	err := s.pool.QueryRow(ctx, `SELECT success, reason FROM transfer_results WHERE id = $1`, id).Scan(&success, &reason)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, nil
	}
	if err != nil {
		return r, fmt.Errorf("transfer result %s: %w", id, err)
	}
	if success != nil {
		r.Known, r.Success = true, *success
	}
	if reason != nil {
		r.Reason = *reason
	}
	return r, nil
}

// RecordTransferResults stores answers for transfers sent through a gateway;
// the first answer stays, answers to other commands change nothing.
func (s *Store) RecordTransferResults(ctx context.Context, results []TransferResult) error {
	if len(results) == 0 {
		return nil
	}
	ids := make([]bank.CommandID, len(results))
	ok := make([]bool, len(results))
	reasons := make([]string, len(results))
	for i, r := range results {
		ids[i], ok[i], reasons[i] = r.ID, r.Success, r.Reason
	}
	_, err := s.pool.Exec(ctx, `
		UPDATE transfer_results t SET success = u.ok, reason = NULLIF(u.reason, ''), answered_at = now()
		  FROM unnest($1::uuid[], $2::bool[], $3::text[]) AS u(id, ok, reason)
		 WHERE t.id = u.id AND t.success IS NULL`, ids, ok, reasons)
	if err != nil {
		return fmt.Errorf("record transfer results: %w", err)
	}
	return nil
}

// SendFailed notes that transfer id could not be produced, so the next
// retry sends it again at once.
func (s *Store) SendFailed(ctx context.Context, id bank.CommandID) error {
	if _, err := s.pool.Exec(ctx, `UPDATE transfer_results SET sent_at = NULL WHERE id = $1 AND success IS NULL`, id); err != nil {
		return fmt.Errorf("mark transfer %s unsent: %w", id, err)
	}
	return nil
}

// ------------------------------------------------------------- progress

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
