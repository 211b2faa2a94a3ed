package messaging

import (
	"context"
	"errors"
	"time"

	"openbank/kit/retry"
)

// allowRebalanceEvery bounds how long a steady stream of batches keeps the
// pipeline from draining, and so keeps a pending rebalance waiting. A
// variable for the tests.
var allowRebalanceEvery = time.Second

// staged is a batch begun and not yet committed.
type staged struct {
	msgs      []RawRecord
	batch     []Delivery
	published func(context.Context) error // nil when nothing was begun
	failed    error                       // beginning it failed
}

// wait waits until s's records are acknowledged.
func (s *staged) wait(ctx context.Context) error {
	switch {
	case s.failed != nil:
		return s.failed
	case s.published == nil:
		return nil // nothing to publish: every record was dead-lettered
	}
	return s.published(ctx)
}

// Run hands batches to handle until ctx is cancelled; see RunStage.
func (c *Consumer) Run(ctx context.Context, handle Handler) error {
	return c.RunStage(ctx, Handle(handle))
}

// RunStage hands batches to begin until ctx is cancelled, in the order they
// were read, and commits a batch's offsets only once it and every batch
// before it are acknowledged (at-least-once). A batch already read when ctx
// is cancelled is still finished and committed, so shutdown loses nothing.
//
// With ConsumerOptions.Overlap, one batch is in flight: the next is begun
// (decided and handed to the producer) while the previous one's records are
// being acknowledged; its produce calls come after those of the batch before
// (the idempotent producer keeps them in order per partition). While a batch
// is in flight, records are taken without waiting for them; when none are
// there, the batch in flight is finished and committed first. Without it,
// each batch is finished before the next is read.
//
// When a batch fails, the batches not yet committed are handled again, in
// order, one at a time, each retried with backoff until done, as a
// redelivery from the committed offsets would be: begin must be idempotent.
// Offsets are committed in the background, at most once per
// Config.CommitInterval while records keep coming and at once when none
// come: a commit is a broker round trip as long as the rest of a cycle, and
// a crash before it lands only means the records since the last one are
// read again.
func (c *Consumer) RunStage(ctx context.Context, begin Stage) error {
	// Finish what was read even when shutdown starts meanwhile.
	work := context.WithoutCancel(ctx)
	defer c.commits.flush()
	var inFlight *staged
	allowed := time.Now()
	drain := func() error {
		_, err := c.finish(work, begin, inFlight)
		inFlight = nil
		c.raw.AllowRebalance()
		allowed = time.Now()
		return err
	}
	for ctx.Err() == nil {
		var msgs []RawRecord
		var err error
		if inFlight == nil {
			msgs, err = c.poll(ctx)
		} else {
			// Only what is already fetched: a batch in flight is waiting.
			msgs, err = c.raw.Poll(ctx, c.opts.MaxBatch, time.Millisecond)
		}
		if errors.Is(err, ErrFenced) {
			fenced := err
			if err := drain(); err != nil {
				return err
			}
			c.commits.flush() // fails as fenced: logged, and the records are read again
			if err := c.rejoinGroup(fenced); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return errors.Join(err, drain())
		}
		// As in Run: partitions just assigned are taken over before any of
		// their records is begun.
		if err := c.announceAssigned(work); err != nil {
			return errors.Join(err, drain())
		}
		if len(msgs) == 0 {
			if err := drain(); err != nil {
				return err
			}
			c.commits.start()
			continue
		}
		next, err := c.begin(work, begin, msgs)
		if err != nil {
			return errors.Join(err, drain())
		}
		redone, err := c.finish(work, begin, inFlight, next)
		if err != nil {
			return err
		}
		inFlight = next
		switch {
		case redone:
			inFlight = nil
		case !c.opts.Overlap:
			if err := drain(); err != nil {
				return err
			}
		case next.failed != nil:
			// Nothing may be begun before this batch is done: its records
			// must come before the next batch's.
			if err := drain(); err != nil {
				return err
			}
		case time.Since(allowed) >= allowRebalanceEvery:
			if err := drain(); err != nil {
				return err
			}
		}
	}
	return drain()
}

// begin decodes msgs and begins handling them. A failure to begin is kept in
// the result, to be retried; only a failure to decode is returned.
func (c *Consumer) begin(ctx context.Context, begin Stage, msgs []RawRecord) (*staged, error) {
	batch, err := c.decode(ctx, msgs)
	if err != nil {
		return nil, err
	}
	s := &staged{msgs: msgs, batch: batch}
	if len(batch) > 0 {
		s.published, s.failed = begin(ctx, batch)
	}
	return s, nil
}

// finish waits until s is acknowledged and hands its offsets to the
// committer. When s failed, it waits for the batches begun after it (later)
// whatever comes of them, then handles s and later again, in order, one at a
// time, hands their offsets on and reports redone.
func (c *Consumer) finish(ctx context.Context, begin Stage, s *staged, later ...*staged) (redone bool, err error) {
	if s == nil {
		return false, nil
	}
	err = s.wait(ctx)
	if err == nil {
		c.commits.handled(s.msgs)
		return false, nil
	}
	c.log.Warn("handle batch failed; handling the batches not yet committed again", "error", err)
	for _, l := range later {
		_ = l.wait(ctx)
	}
	for _, b := range append([]*staged{s}, later...) {
		if len(b.batch) > 0 {
			err := retry.Do(ctx, c.log, "handle batch", retry.Forever, func() error {
				published, err := begin(ctx, b.batch)
				if err != nil {
					return err
				}
				return published(ctx)
			})
			if err != nil {
				return true, err
			}
		}
		c.commits.handled(b.msgs)
	}
	return true, nil
}
