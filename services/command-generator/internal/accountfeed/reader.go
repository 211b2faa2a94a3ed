// Package accountfeed reads account_creation_feedback from its beginning, so the
// command generator knows every AUTO account again after a restart, and keeps
// reading it to pay each new account a salary.
package accountfeed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"openbank/messaging"
	"openbank/topology/records"
	"openbank/topology/serde"
)

// Confirmed is one AccountCreationConfirmed of an AUTO account.
type Confirmed struct {
	IBAN, Token string
	// New is false for a confirmation read again from history: its salary was
	// sent before (or the account predates this generator).
	New bool
}

// Handler handles the confirmations of one batch; the offsets after them are
// committed only when it returns nil.
type Handler func(ctx context.Context, batch []Confirmed) error

// Reader reads every partition of account_creation_feedback from the
// beginning, assigned by hand (no group rebalancing). Its group only keeps
// offsets, which mark where the salaries were paid up to.
type Reader struct {
	kc    *messaging.Reader
	serde *serde.Serde
	log   *slog.Logger
	topic string
	// paidTo[p] is the first offset whose account has not had its salary yet.
	paidTo map[int32]int64
	// end[p] is the partition's end when reading started: reading up to it
	// rebuilds the list of accounts.
	end map[int32]int64
	// start[p] is the partition's first offset when reading started.
	start      map[int32]int64
	caughtUp   bool
	onCaughtUp func()
	lastRead   time.Time
}

const (
	maxBatch  = 500
	batchWait = 0 // what is fetched already; a new account's salary need not wait
	timeout   = 10 * time.Second
)

// NewReader assigns every partition of topic from its beginning. With no
// committed offsets (a new group) the accounts already on the topic are
// remembered without a salary; only later ones get one.
// Kafka that is not ready yet (a new cluster still electing its group
// coordinator) is waited for until ctx ends.
func NewReader(ctx context.Context, cfg messaging.Config, serde *serde.Serde, topic, group string, log *slog.Logger) (*Reader, error) {
	admin, err := messaging.NewAdmin(cfg, log)
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	r := &Reader{serde: serde, log: log, topic: topic, paidTo: map[int32]int64{}, end: map[int32]int64{}, start: map[int32]int64{}}
	for {
		err := r.assign(ctx, cfg, admin, group)
		if err == nil {
			return r, nil
		}
		log.Warn("reading account feedback cannot start yet; retrying", "error", err)
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(time.Second):
		}
	}
}

func (r *Reader) assign(ctx context.Context, cfg messaging.Config, admin *messaging.Admin, group string) error {
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	marks, err := admin.Watermarks(actx, r.topic)
	if err != nil {
		return fmt.Errorf("topic %s (the synchronizer creates it): %w", r.topic, err)
	}
	committed, err := admin.Committed(actx, group, r.topic)
	if err != nil {
		return err
	}
	from := map[messaging.TopicPartition]int64{}
	for p, w := range marks {
		r.start[p], r.end[p] = w.Low, w.High
		if o, ok := committed[p]; ok {
			r.paidTo[p] = o
		} else {
			r.paidTo[p] = w.High
		}
		from[messaging.TopicPartition{Topic: r.topic, Partition: p}] = messaging.OffsetBeginning
	}
	kc, err := messaging.NewReader(cfg, from, group, r.log)
	if err != nil {
		return err
	}
	r.kc = kc
	return nil
}

// Run reads until ctx ends. caughtUp is called once, when everything that was
// on the topic at start has been handled.
func (r *Reader) Run(ctx context.Context, handle Handler, caughtUp func()) error {
	r.onCaughtUp = caughtUp
	r.lastRead = time.Now()
	r.checkCaughtUp()
	// A batch read before shutdown is still finished, for up to 5 s.
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(5*time.Second, cancel) })
	defer stop()
	for ctx.Err() == nil {
		msgs, err := r.poll(ctx)
		if err != nil {
			return err
		}
		if len(msgs) > 0 {
			r.lastRead = time.Now()
			r.handle(work, msgs, handle)
		}
		r.checkCaughtUp()
	}
	return nil
}

func (r *Reader) poll(ctx context.Context) ([]messaging.RawRecord, error) {
	msgs, err := r.kc.PollBatch(ctx, maxBatch, batchWait)
	if err != nil {
		return nil, fmt.Errorf("account feedback reader: %w", err)
	}
	return msgs, nil
}

// handle decodes msgs, hands the AUTO confirmations to handle, and then commits
// the offsets past the newly handled ones.
// When ctx ends first, nothing is committed: the salaries of this batch are
// paid (again) after the restart.
func (r *Reader) handle(ctx context.Context, msgs []messaging.RawRecord, handle Handler) {
	var batch []Confirmed
	next := map[int32]int64{}
	for _, m := range msgs {
		p, offset := m.Partition, m.Offset
		next[p] = max(next[p], offset+1)
		rec, err := r.decode(ctx, m)
		if err != nil {
			return
		}
		c, ok := rec.(*records.AccountCreationConfirmed)
		if !ok || c.AType != records.AtypeAuto {
			continue
		}
		batch = append(batch, Confirmed{IBAN: c.IBAN, Token: c.Token, New: offset >= r.paidTo[p]})
	}
	for {
		err := handle(ctx, batch)
		if err == nil {
			break
		}
		r.log.Warn("handling account confirmations failed; retrying", "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
	offsets := map[messaging.TopicPartition]int64{}
	for p, o := range next {
		if o > r.paidTo[p] {
			offsets[messaging.TopicPartition{Topic: r.topic, Partition: p}] = o
			r.paidTo[p] = o
		}
	}
	if len(offsets) > 0 {
		if err := r.kc.Commit(ctx, offsets); err != nil {
			// At worst these salaries are paid again after a restart.
			r.log.Warn("commit account feedback offsets", "error", err)
		}
	}
}

// decode returns the record in m, or nil for bytes that are not a record of
// the bank (logged and skipped). A registry that does not answer is waited for.
func (r *Reader) decode(ctx context.Context, m messaging.RawRecord) (records.Record, error) {
	for {
		rec, err := r.serde.Decode(r.topic, m.Value)
		var bad *serde.DecodeError
		switch {
		case err == nil:
			return rec, nil
		case errors.As(err, &bad):
			r.log.Error("undecodable account feedback skipped", "partition", m.Partition,
				"offset", m.Offset, "error", err)
			return nil, nil
		}
		r.log.Warn("decoding account feedback failed; retrying", "error", err)
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(time.Second):
		}
	}
}

// idleCaughtUp is how long the reader may find nothing new and still not be
// at the ends it saw at start (which transaction markers can cause) before it
// counts as caught up anyway.
const idleCaughtUp = 10 * time.Second

// checkCaughtUp calls onCaughtUp once every partition's position has reached
// its end at start.
func (r *Reader) checkCaughtUp() {
	if r.caughtUp || !r.atEnd() && time.Since(r.lastRead) < idleCaughtUp {
		return
	}
	r.caughtUp = true
	if r.onCaughtUp != nil {
		r.onCaughtUp()
	}
}

func (r *Reader) atEnd() bool {
	for p, end := range r.end {
		if end <= r.start[p] {
			continue // nothing was there at start
		}
		if next, ok := r.kc.Next(messaging.TopicPartition{Topic: r.topic, Partition: p}); !ok || next < end {
			return false
		}
	}
	return true
}

// Close closes the consumer.
func (r *Reader) Close() error {
	if err := r.kc.Close(); err != nil {
		return fmt.Errorf("close account feedback reader: %w", err)
	}
	return nil
}
