package messaging

import "context"

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
