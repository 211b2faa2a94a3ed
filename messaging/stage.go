package messaging

import (
	"context"
	"log/slog"

	"openbank/kit/retry"
)

// Handler handles one batch. It returns nil only when the whole batch is done:
// the offsets are committed after that. On an error the same batch is offered
// again, with backoff, so nothing is skipped; handlers must be idempotent.
type Handler func(ctx context.Context, batch []Delivery) error

// Stage begins handling one batch: when it returns, everything that decides
// the batch is done and its records are handed to the producer, in order;
// published waits until Kafka acknowledged them. Like a Handler it must be
// idempotent: a batch may be begun again after an error or a crash.
type Stage func(ctx context.Context, batch []Delivery) (published func(context.Context) error, err error)

// Handle is h as a Stage whose work is all done when it returns.
func Handle(h Handler) Stage {
	return func(ctx context.Context, batch []Delivery) (func(context.Context) error, error) {
		if err := h(ctx, batch); err != nil {
			return nil, err
		}
		return done, nil
	}
}

func done(context.Context) error { return nil }

// Step wraps a Stage with one concern (retrying it, measuring it, ...).
type Step func(next Stage) Stage

// Chain is stage wrapped in steps, the first outermost: Chain(s, a, b) is a(b(s)).
func Chain(stage Stage, steps ...Step) Stage {
	for i := len(steps) - 1; i >= 0; i-- {
		stage = steps[i](stage)
	}
	return stage
}

// Retry is the step that begins a batch again, with backoff, until it is
// begun (a database away comes back) or ctx ends. A batch begun but not
// acknowledged is the runner's to redo (RunStage): only it knows which later
// batches must follow it again.
func Retry(log *slog.Logger) Step {
	return func(next Stage) Stage {
		return func(ctx context.Context, batch []Delivery) (func(context.Context) error, error) {
			published, err := next(ctx, batch)
			if err == nil {
				return published, nil // the usual case costs no backoff state
			}
			log.Warn("begin batch failed; retrying", "error", err)
			err = retry.Do(ctx, log, "begin batch", retry.Forever, func() error {
				published, err = next(ctx, batch)
				return err
			})
			return published, err
		}
	}
}
