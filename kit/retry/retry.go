// Package retry is the one way the bank's programs try something again: with
// exponential backoff (cenkalti/backoff), logging each failure, until it
// succeeds, fails for good (Permanent), the context ends or a time limit
// passes. It is not a circuit breaker and keeps no state between calls.
package retry

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Policy says how long to wait between tries and for how long to go on.
type Policy struct {
	Initial time.Duration // the first wait (default 50 ms)
	Max     time.Duration // the longest wait (default 5 s)
	// Within gives up after this long, returning the last error; 0 goes on
	// until the context ends.
	Within time.Duration
}

// Forever backs off from 50 ms to 5 s and never gives up: for work that must
// be done before anything else can (a batch, a commit, a migration).
var Forever = Policy{}

// Permanent marks err as one that trying again cannot mend: Do returns it at once.
func Permanent(err error) error { return backoff.Permanent(err) }

// After marks err as one to try again no sooner than wait from now (a
// server's Retry-After), instead of the next backoff; the message is err's.
func After(wait time.Duration, err error) error {
	if err == nil {
		return nil
	}
	return &afterError{err: err, wait: backoff.RetryAfterError{Duration: wait}}
}

// afterError carries both err and the wait, which backoff finds with errors.As.
type afterError struct {
	err  error
	wait backoff.RetryAfterError
}

func (e *afterError) Error() string   { return e.err.Error() }
func (e *afterError) Unwrap() []error { return []error{e.err, &e.wait} }

// Do runs op until it returns nil or a Permanent error, the context ends,
// or p.Within passes (or would pass before the next try); each failure is logged at warn level as "WHAT failed;
// retrying". The error returned is op's last.
func Do(ctx context.Context, log *slog.Logger, what string, p Policy, op func() error) error {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 50 * time.Millisecond
	b.MaxInterval = 5 * time.Second
	if p.Initial > 0 {
		b.InitialInterval = p.Initial
	}
	if p.Max > 0 {
		b.MaxInterval = p.Max
	}
	tries := 0
	_, err := backoff.Retry(ctx, func() (struct{}, error) { tries++; return struct{}{}, op() },
		backoff.WithBackOff(b), backoff.WithMaxElapsedTime(p.Within),
		backoff.WithNotify(func(err error, next time.Duration) {
			log.Warn(what+" failed; retrying", "error", err, "retry_in", next)
		}))
	if err != nil && p.Within > 0 && ctx.Err() == nil {
		return fmt.Errorf("%s: still failing after %s (%d tries): %w", what, p.Within, tries, err)
	}
	return err
}
