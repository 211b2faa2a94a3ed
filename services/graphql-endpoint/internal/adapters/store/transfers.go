package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"openbank/services/graphql-endpoint/internal/domain/account"
	"openbank/services/graphql-endpoint/internal/domain/transfer"
	"openbank/topology/ident"
)

// ClaimTransfer records that cmd is being sent (now). claimed false means its
// id was sent before; existing is then what is known about it.
func (s *Store) ClaimTransfer(ctx context.Context, cmd transfer.Command) (claimed bool, existing transfer.Result, err error) {
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO transfer_results (id, token_sealed, amount, from_iban, to_iban, descr, sent_at)
		VALUES ($1, $2, $3, $4, $5, $6, now()) ON CONFLICT (id) DO NOTHING`,
		cmd.ID, s.seal.seal(cmd.Token, transferAD(cmd.ID)), cmd.Amount, cmd.From, cmd.To, cmd.Descr)
	if err != nil {
		return false, existing, fmt.Errorf("claim transfer %s: %w", cmd.ID, err)
	}
	if tag.RowsAffected() == 1 {
		return true, transfer.Result{ID: cmd.ID}, nil
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
	var from, to, descr *string
	var sealed []byte
	var amount *int64
	err = s.pool.QueryRow(ctx, `
		UPDATE transfer_results SET sent_at = now()
		 WHERE id = $1 AND success IS NULL
		   AND (sent_at IS NULL OR sent_at <= now() - make_interval(secs => $2))
		RETURNING token_sealed, amount, from_iban, to_iban, descr`, cmd.ID, after.Seconds()).
		Scan(&sealed, &amount, &from, &to, &descr)
	if errors.Is(err, pgx.ErrNoRows) {
		return send, false, nil
	}
	if err != nil {
		return send, false, fmt.Errorf("resend transfer %s: %w", cmd.ID, err)
	}
	if sealed != nil && amount != nil && from != nil && to != nil && descr != nil {
		token, err := s.seal.open(sealed, transferAD(cmd.ID))
		if err != nil {
			return send, false, fmt.Errorf("resend transfer %s: %w", cmd.ID, err)
		}
		send = transfer.Command{ID: cmd.ID, Token: token, Amount: *amount, From: *from, To: *to, Descr: *descr}
	}
	return send, true, nil
}

// TransferResult returns what is known about transfer id.
func (s *Store) TransferResult(ctx context.Context, id ident.CommandID) (transfer.Result, error) {
	r := transfer.Result{ID: id}
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

// recordTransferResults stores answers for transfers sent through a gateway
// and returns those it stored; the first answer stays, answers to other
// commands change nothing. The sealed token is erased with the answer: it
// was kept only to send the same command again, so a failed guess keeps no
// token.
func recordTransferResults(ctx context.Context, tx pgx.Tx, results []transfer.Result) ([]transfer.Result, error) {
	if len(results) == 0 {
		return nil, nil
	}
	ids := make([]ident.CommandID, len(results))
	ok := make([]bool, len(results))
	reasons := make([]string, len(results))
	byID := make(map[ident.CommandID]transfer.Result, len(results))
	for i, r := range results {
		ids[i], ok[i], reasons[i] = r.ID, r.Success, r.Reason
		byID[r.ID] = r
	}
	rows, err := tx.Query(ctx, `
		UPDATE transfer_results t SET success = u.ok, reason = NULLIF(u.reason, ''), answered_at = now(), token_sealed = NULL
		  FROM unnest($1::uuid[], $2::bool[], $3::text[]) AS u(id, ok, reason)
		 WHERE t.id = u.id AND t.success IS NULL
		RETURNING t.id`, ids, ok, reasons)
	if err != nil {
		return nil, fmt.Errorf("record transfer results: %w", err)
	}
	stored, err := pgx.CollectRows(rows, pgx.RowTo[ident.CommandID])
	if err != nil {
		return nil, fmt.Errorf("record transfer results: %w", err)
	}
	out := make([]transfer.Result, len(stored))
	for i, id := range stored {
		out[i] = byID[id]
	}
	return out, nil
}

// RecordFeedback stores the command handler's answers to commands sent
// through a gateway (any instance's) and, in the same transaction, notifies
// every instance of those it stored on ChannelFeedback; it returns them.
func (s *Store) RecordFeedback(ctx context.Context, creations []account.Creation, results []transfer.Result) (
	[]account.Creation, []transfer.Result, error) {
	var stored feedback
	if len(creations) == 0 && len(results) == 0 {
		return nil, nil, nil
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) (err error) {
		if stored.Creations, err = s.recordAccountCreations(ctx, tx, creations); err != nil {
			return err
		}
		if stored.Transfers, err = recordTransferResults(ctx, tx, results); err != nil {
			return err
		}
		return notifyFeedback(ctx, tx, stored)
	})
	if err != nil {
		return nil, nil, err
	}
	return stored.Creations, stored.Transfers, nil
}

// SendFailed notes that transfer id could not be produced, so the next
// retry sends it again at once.
func (s *Store) SendFailed(ctx context.Context, id ident.CommandID) error {
	if _, err := s.pool.Exec(ctx, `UPDATE transfer_results SET sent_at = NULL WHERE id = $1 AND success IS NULL`, id); err != nil {
		return fmt.Errorf("mark transfer %s unsent: %w", id, err)
	}
	return nil
}
