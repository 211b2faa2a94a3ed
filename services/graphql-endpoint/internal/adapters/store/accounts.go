package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"openbank/services/graphql-endpoint/internal/domain/account"
	"openbank/topology/ident"
)

// AccountByUsername returns the account, or ok false.
func (s *Store) AccountByUsername(ctx context.Context, username string) (a account.Account, ok bool, err error) {
	var iban *string
	var sealed []byte
	err = s.pool.QueryRow(ctx, `SELECT username, password_hash, creation_id, iban, token_sealed FROM accounts WHERE username = $1`,
		username).Scan(&a.Username, &a.PasswordHash, &a.CreationID, &iban, &sealed)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, false, nil
	}
	if err != nil {
		return a, false, fmt.Errorf("account %q: %w", username, err)
	}
	if iban != nil {
		a.IBAN = *iban
	}
	if sealed != nil {
		if a.Token, err = s.seal.open(sealed, accountAD(a.CreationID)); err != nil {
			return a, false, fmt.Errorf("account %q: %w", username, err)
		}
	}
	return a, true, nil
}

// AddPendingAccount inserts a pending account; created false means the
// username was taken meanwhile.
func (s *Store) AddPendingAccount(ctx context.Context, a account.Account) (created bool, err error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO accounts (username, password_hash, creation_id) VALUES ($1, $2, $3)
		ON CONFLICT (username) DO NOTHING`, a.Username, a.PasswordHash, a.CreationID)
	if err != nil {
		return false, fmt.Errorf("add account %q: %w", a.Username, err)
	}
	return tag.RowsAffected() == 1, nil
}

// DropPendingAccount deletes the account created by creationID if it is
// still pending (its creation failed or was given up).
func (s *Store) DropPendingAccount(ctx context.Context, creationID ident.CommandID) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM accounts WHERE creation_id = $1 AND iban IS NULL`, creationID); err != nil {
		return fmt.Errorf("drop pending account: %w", err)
	}
	return nil
}

// RecordAccountCreations fills in or deletes the pending accounts the answers
// are for; answers for other commands (the generator's) change nothing.
func (s *Store) RecordAccountCreations(ctx context.Context, answers []account.Creation) error {
	if len(answers) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, a := range answers {
		if a.IBAN != "" {
			// Sealed, bound to its row: the token must be given back at login.
			b.Queue(`UPDATE accounts SET iban = $2, token_sealed = $3 WHERE creation_id = $1 AND iban IS NULL`,
				a.CreationID, a.IBAN, s.seal.seal(a.Token, accountAD(a.CreationID)))
		} else {
			b.Queue(`DELETE FROM accounts WHERE creation_id = $1 AND iban IS NULL`, a.CreationID)
		}
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("record account creations: %w", err)
	}
	return nil
}
