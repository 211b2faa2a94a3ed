package gateway

import (
	"context"
	"fmt"
	"time"

	"openbank/messaging"
	"openbank/services/graphql-endpoint/internal/domain/account"
	"openbank/topology"
	"openbank/topology/ident"
	"openbank/topology/records"
)

// AccountResult is get_account's answer: IBAN and Token, or Reason.
type AccountResult struct {
	IBAN, Token, Reason string
}

// Mode is what GetAccount may do for a username.
type Mode int

const (
	// OpenOrLogin opens an account for a new username and logs in to an
	// existing one (get_account, the original API).
	OpenOrLogin Mode = iota
	// Login only logs in (login).
	Login
	// Open only opens: a username that exists is answered ReasonUsernameTaken
	// without checking the password, so opening tells no more than login does
	// about a password (open_account).
	Open
)

// ErrPasswordTooShort refuses a new account's password; its message is for the client.
var ErrPasswordTooShort = fmt.Errorf("must have at least %d characters", account.MinPasswordLength)

// GetAccount opens an account for a new username, or logs in, as mode
// allows. The result of an opening arrives with the command handler's
// feedback. Every password hash is charged to Options.Passwords first.
func (g *Gateway) GetAccount(ctx context.Context, username, password string, mode Mode) (AccountResult, error) {
	// A few rounds: the username may be taken, or its pending row dropped, meanwhile.
	for range 3 {
		a, ok, err := g.store.AccountByUsername(ctx, username)
		if err != nil {
			return AccountResult{}, err
		}
		if ok && mode == Open {
			// No hash, but a look-up that tells a username exists: charged to the client.
			if err := g.opts.Passwords.ChargeClient(ctx); err != nil {
				return AccountResult{}, err
			}
			return AccountResult{Reason: ReasonUsernameTaken}, nil
		}
		if ok {
			match, err := g.checkPassword(ctx, username, a.PasswordHash, password)
			if err != nil {
				return AccountResult{}, err
			}
			if !match && mode == Login {
				return AccountResult{Reason: ReasonIncorrectLogin}, nil
			}
			if !match {
				return AccountResult{Reason: ReasonIncorrectPassword}, nil
			}
			if !a.Pending() {
				return AccountResult{IBAN: a.IBAN, Token: a.Token}, nil
			}
			res, done, err := g.awaitOthersCreation(ctx, username, a.CreationID)
			if err != nil || done {
				return res, err
			}
			continue
		}
		if mode == Login {
			// As long as checking a known username's password, and the same answer.
			if _, err := g.checkPassword(ctx, username, g.dummyHash, password); err != nil {
				return AccountResult{}, err
			}
			return AccountResult{Reason: ReasonIncorrectLogin}, nil
		}
		if !account.LongEnough(password) {
			return AccountResult{}, ErrPasswordTooShort
		}
		hash, err := g.hashPassword(ctx, username, password)
		if err != nil {
			return AccountResult{}, err
		}
		id := ident.NewCommandID()
		created, err := g.store.AddPendingAccount(ctx, account.Account{Username: username, PasswordHash: hash, CreationID: id})
		if err != nil {
			return AccountResult{}, err
		}
		if created {
			return g.createAccount(ctx, id)
		}
	}
	return AccountResult{Reason: ReasonCreationFailed}, nil
}

// createAccount sends the creation command for a pending row and waits.
func (g *Gateway) createAccount(ctx context.Context, id ident.CommandID) (res AccountResult, err error) {
	begun := time.Now()
	ctx, span := startCommand(ctx, "open account", id.String())
	defer func() { endCommand(span, res.IBAN != "", res.Reason, err) }()
	cleanup := context.WithoutCancel(ctx)
	answer, cancel := g.accounts.Wait(id)
	defer cancel()
	start := time.Now()
	err = g.send(ctx, "account creation", messaging.Message{
		Topic: topology.TopicCommands, Key: id.String(),
		Record:  &records.ConfirmAccountCreation{ID: ident.Fixed(id), AType: records.AtypeManual},
		Headers: []messaging.Header{messaging.CommandIDHeader(id.String())},
	})
	if err != nil {
		_ = g.store.DropPendingAccount(cleanup, id)
		return AccountResult{}, err
	}
	acknowledged(g.opts.Metrics.Hops, span, begun)
	a, ok, err := await(ctx, g, answer, g.creationStored(id))
	switch {
	case err != nil:
		// The client left; the feedback consumer still fills in or drops the row.
		return AccountResult{}, err
	case ok:
		return g.creationResult(cleanup, a, start), nil
	}
	g.opts.Metrics.FeedbackWait.With([2]string{"account_creation", "timeout"}).UpdateDuration(start)
	if err := g.store.DropPendingAccount(cleanup, id); err != nil {
		g.log.Warn("drop pending account after time-out", "error", err)
	}
	return AccountResult{Reason: ReasonNoAnswer}, nil
}

// creationStored finds creation id's answer in transactiondb; a failure's
// reason is not kept there.
func (g *Gateway) creationStored(id ident.CommandID) func(context.Context) (account.Creation, bool, error) {
	return func(ctx context.Context) (account.Creation, bool, error) {
		c, known, err := g.store.CreationOutcome(ctx, id)
		if known && c.IBAN == "" && c.Reason == "" {
			c.Reason = ReasonCreationFailed
		}
		return c, known, err
	}
}

func (g *Gateway) creationResult(ctx context.Context, a account.Creation, start time.Time) AccountResult {
	if a.IBAN != "" {
		g.opts.Metrics.FeedbackWait.With([2]string{"account_creation", "confirmed"}).UpdateDuration(start)
		return AccountResult{IBAN: a.IBAN, Token: a.Token}
	}
	g.opts.Metrics.FeedbackWait.With([2]string{"account_creation", "failed"}).UpdateDuration(start)
	// The consumer deletes the row too; doing it here as well keeps the answer true
	// even if this instance's consumer is behind.
	if err := g.store.DropPendingAccount(ctx, a.CreationID); err != nil {
		g.log.Warn("drop failed account", "error", err)
	}
	return AccountResult{Reason: a.Reason}
}

// awaitOthersCreation waits for a creation another request sent. done false
// means the row went away without an answer here: look again.
func (g *Gateway) awaitOthersCreation(ctx context.Context, username string, id ident.CommandID) (AccountResult, bool, error) {
	answer, cancel := g.accounts.Wait(id)
	defer cancel()
	// Registered first, then looked again: the answer cannot slip between.
	a, ok, err := g.store.AccountByUsername(ctx, username)
	if err != nil {
		return AccountResult{}, false, err
	}
	if !ok || a.CreationID != id {
		return AccountResult{}, false, nil
	}
	if !a.Pending() {
		return AccountResult{IBAN: a.IBAN, Token: a.Token}, true, nil
	}
	c, ok, err := await(ctx, g, answer, func(ctx context.Context) (account.Creation, bool, error) {
		return g.store.CreationOutcome(ctx, id)
	})
	switch {
	case err != nil:
		return AccountResult{}, true, err
	case ok && c.IBAN == "" && c.Reason == "":
		return AccountResult{}, false, nil // the row went away (found by looking): look again
	case !ok:
		// Its producer has given up by now too (it started earlier): drop the row,
		// so the username is not stuck on a creation that never got an answer.
		if err := g.store.DropPendingAccount(context.WithoutCancel(ctx), id); err != nil {
			g.log.Warn("drop unanswered account creation", "error", err)
		}
		return AccountResult{Reason: ReasonNoAnswer}, true, nil
	case c.IBAN != "":
		return AccountResult{IBAN: c.IBAN, Token: c.Token}, true, nil
	}
	return AccountResult{Reason: c.Reason}, true, nil
}

func (g *Gateway) hashPassword(ctx context.Context, username, password string) (string, error) {
	if err := g.opts.Passwords.Charge(ctx, username); err != nil {
		return "", err
	}
	if err := g.acquireHashSlot(ctx); err != nil {
		return "", err
	}
	defer g.releaseHashSlot()
	return account.HashPassword(password)
}

func (g *Gateway) checkPassword(ctx context.Context, username, hash, password string) (bool, error) {
	if err := g.opts.Passwords.Charge(ctx, username); err != nil {
		return false, err
	}
	if err := g.acquireHashSlot(ctx); err != nil {
		return false, err
	}
	defer g.releaseHashSlot()
	ok, err := account.CheckPassword(hash, password)
	if err != nil {
		return false, fmt.Errorf("check password: %w", err)
	}
	return ok, nil
}

func (g *Gateway) releaseHashSlot() {
	<-g.hashSlots
	if len(g.hashSlots) == 0 && g.opts.HashesDone != nil {
		g.opts.HashesDone()
	}
}

func (g *Gateway) acquireHashSlot(ctx context.Context) error {
	select {
	case g.hashSlots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
