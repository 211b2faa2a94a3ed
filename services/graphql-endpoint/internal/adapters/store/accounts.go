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

// CreationOutcome is what transactiondb says about creation id: confirmed
// (the account has its iban), failed (the pending row is gone: no iban, and
// the reason is not kept), or known false while it waits.
func (s *Store) CreationOutcome(ctx context.Context, id ident.CommandID) (c account.Creation, known bool, err error) {
	c.CreationID = id
	var iban *string
	var sealed []byte
	err = s.pool.QueryRow(ctx, `SELECT iban, token_sealed FROM accounts WHERE creation_id = $1`, id).Scan(&iban, &sealed)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return c, true, nil
	case err != nil:
		return c, false, fmt.Errorf("account creation %s: %w", id, err)
	case iban == nil:
		return c, false, nil
	}
	c.IBAN = *iban
	if sealed != nil {
		if c.Token, err = s.seal.open(sealed, accountAD(id)); err != nil {
			return c, false, fmt.Errorf("account creation %s: %w", id, err)
		}
	}
	return c, true, nil
}

// recordAccountCreations fills in or deletes the pending accounts the answers
// are for and returns those it changed; answers for other commands (the
// generator's) change nothing.
func (s *Store) recordAccountCreations(ctx context.Context, tx pgx.Tx, answers []account.Creation) ([]account.Creation, error) {
	var okIDs, failIDs []ident.CommandID
	var ibans []string
	var tokens [][]byte
	byID := make(map[ident.CommandID]account.Creation, len(answers))
	for _, a := range answers {
		byID[a.CreationID] = a
		if a.IBAN != "" {
			// Sealed, bound to its row: the token must be given back at login.
			okIDs, ibans = append(okIDs, a.CreationID), append(ibans, a.IBAN)
			tokens = append(tokens, s.seal.seal(a.Token, accountAD(a.CreationID)))
		} else {
			failIDs = append(failIDs, a.CreationID)
		}
	}
	var changed []account.Creation
	collect := func(sql string, args ...any) error {
		rows, err := tx.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[ident.CommandID])
		for _, id := range ids {
			changed = append(changed, byID[id])
		}
		return err
	}
	if len(okIDs) > 0 {
		if err := collect(`
			UPDATE accounts a SET iban = u.iban, token_sealed = u.token
			  FROM unnest($1::uuid[], $2::text[], $3::bytea[]) AS u(id, iban, token)
			 WHERE a.creation_id = u.id AND a.iban IS NULL
			RETURNING a.creation_id`, okIDs, ibans, tokens); err != nil {
			return nil, fmt.Errorf("record account creations: %w", err)
		}
	}
	if len(failIDs) > 0 {
		if err := collect(`DELETE FROM accounts WHERE creation_id = ANY($1::uuid[]) AND iban IS NULL RETURNING creation_id`,
			failIDs); err != nil {
			return nil, fmt.Errorf("record account creations: %w", err)
		}
	}
	return changed, nil
}
