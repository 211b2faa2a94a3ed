package commands

import (
	"context"
	"fmt"
	"time"

	"openbank/messaging"
)

// The at-least-once path of one batch of commands, in the order it becomes
// durable. A command is done when its events are acknowledged by every
// in-sync replica; its offset is committed only after that.
//
//  1. read       messaging.Consumer polls up to COMMAND_BATCH_SIZE records
//                of the commands topic. Nothing is durable yet.
//  2. take over  on partitions just assigned, before any of their records is
//                decided, Recovery.OnAssigned re-sends the stored events of
//                every command decided at or after their committed offsets
//                (recover.go).
//  3. decode     records that can never decode go to commands_dead_letter,
//                byte for byte, acknowledged before the batch goes on
//                (messaging: Consumer.decode); a registry that does not
//                answer is waited for.
//  4. parse      decodable records that are no valid command go to
//                commands_dead_letter too; one whose id can be read is
//                answered "invalid command" (step parse below).
//  5. decide     one PostgreSQL transaction stores the new balances and, for
//                every command, its id, partition, offset and outcome (step
//                decide; ledger holds the rules). Durable from its commit.
//  6. publish    feedback and BalanceChanged events, keyed as the topology
//                says, through the idempotent producer; the batch waits
//                until Kafka acknowledged them all (step publish).
//  7. commit     the offsets after the batch, in the background at most every
//                KAFKA_COMMIT_INTERVAL_MS, at once when idle and before a
//                partition moves (messaging: committer.go).
//
// Traced spans and metrics wrap steps 5 and 6 (steps trace and measure). A
// batch that cannot be begun (the database away) is begun again with backoff
// (step retry, Stage below); one whose events were not acknowledged is
// offered again, with every later one not yet committed, in order
// (messaging: RunStage). With COMMAND_PIPELINE the next batch is decided
// while this one's events are being acknowledged; its offsets still wait for
// this batch's.
//
// Why a kill -9 between any two steps loses and doubles nothing:
//   - before 5 commits: nothing of the batch is stored; its records are read
//     again from the committed offset and decided as new.
//   - after 5, before 6 is acknowledged: the records are read again; the
//     stored ids and positions say "redelivery" (ledger.Classify), so nothing
//     is decided twice, and the stored outcome's events are sent again. A
//     BalanceChanged already sent goes out twice with the same command-id and
//     the same new balance, which a consumer recognises (the gateway stores
//     it once, so no stream shows it twice). Because another partition may
//     meanwhile have moved the same account on, the new owner of the
//     partition first re-sends those events in decision order (2), and step
//     skipResent keeps the redelivery from sending them once more after newer
//     ones.
//   - after 6, before 7: as above; every event is already in Kafka.
//   - a client's retry of a command (a new record, the same id) is answered
//     with the stored feedback and changes nothing.
//   - a record dead-lettered (3, 4) is dead-lettered again when read again;
//     a dead letter is evidence, and a copy of it harms nothing.
//
// One record per command id, for DEDUP_WINDOW_MS. The records of step 5 are
// kept as long as Kafka can deliver a command again (the window is at least
// the commands topic's retention.ms, checked at start); they live in weekly
// partitions of balancedb's command table, which the handler creates ahead
// and drops once all of one is older than the window (balancedb.KeepWindow,
// every hour). A partitioned table has no unique key on id alone, so what
// keeps an id decided once is this:
//   - every record of a command id is on one partition of commands (keyed
//     by the id, topology.KeyCommandID): a redelivery and a client's retry
//     alike.
//   - step 5 first takes a transaction lock per partition its batch read
//     from (in partition order, before any account lock, so no deadlock),
//     then reads the ids already handled. Batches of one partition thus run
//     one after another, on one instance and on two during a rebalance, and
//     each reads the ids every earlier one committed (a fresh snapshot per
//     statement).
//   - within a batch, decideBatch answers a repeated id with its first answer.
// A command delivered again after the window (a client retrying a week
// later) is decided as new: the window is the promise, proven at its edge
// by balancedb's TestRedeliveryAtTheWindowsEdge, the lock by
// TestTwoInstancesDecideACommandOnce.

// Stage is the path as the consumer runs it: steps 4–6, begun again until
// they can be (messaging.Retry).
func (h *Handler) Stage() messaging.Stage {
	return messaging.Chain(h.Begin, messaging.Retry(h.log))
}

// batch is one batch of commands on its way along the path.
type batch struct {
	in       []messaging.Delivery
	cmds     []command              // the valid commands of in, in order
	dead     []messaging.RawMessage // records of in that are no valid command
	refusals []messaging.Message    // answers to dead-lettered commands whose id can be read
	answers  []answer               // one per command, in order
	out      []messaging.Message    // what the batch publishes, in order
	start    time.Time
	decided  time.Time
}

// stage takes a batch as far as its step goes; published, when it returns
// nil, waits until Kafka acknowledged what the batch publishes.
type stage func(ctx context.Context, b *batch) (published func(context.Context) error, err error)

// step wraps the rest of the path with one concern.
type step func(next stage) stage

// path is steps 4–6, in the order they run; the messaging.Consumer does the rest.
func (h *Handler) path() stage {
	return chain(h.publish,
		h.parse,      // 4
		h.trace,      // spans around 5 and 6
		h.measure,    // metrics around 5 and 6
		h.decide,     // 5
		h.skipResent, // 2's other half: events the take-over sent already
	)
}

// chain is last wrapped in steps, the first outermost.
func chain(last stage, steps ...step) stage {
	for i := len(steps) - 1; i >= 0; i-- {
		last = steps[i](last)
	}
	return last
}

// parse splits the batch into valid commands and records to dead-letter.
func (h *Handler) parse(next stage) stage {
	return func(ctx context.Context, b *batch) (func(context.Context) error, error) {
		b.start = time.Now()
		b.cmds = make([]command, 0, len(b.in))
		for i := range b.in {
			d := &b.in[i]
			c, err := parse(d)
			if err != nil {
				h.log.Error("not a valid command; dead-lettered", "topic", d.Topic, "partition", d.Partition,
					"offset", d.Offset, "error", err, "dead_letter_topic", h.deadLetter)
				b.dead = append(b.dead, messaging.DeadLetter(h.deadLetter, d.Raw(), err))
				if m, ok := refusal(c, err); ok {
					b.refusals = append(b.refusals, m)
				}
				continue
			}
			b.cmds = append(b.cmds, c)
		}
		return next(ctx, b)
	}
}

// trace continues each traced command's trace for as long as its batch
// takes, and ends its span with the outcome.
func (h *Handler) trace(next stage) stage {
	return func(ctx context.Context, b *batch) (func(context.Context) error, error) {
		span := startBatch(ctx, b.start, b.in, b.cmds)
		published, err := next(ctx, b)
		if err != nil {
			endBatch(span, b.cmds, b.answers, b.decided, time.Now(), err)
			return nil, err
		}
		return func(ctx context.Context) error {
			err := published(ctx)
			endBatch(span, b.cmds, b.answers, b.decided, time.Now(), err)
			return err
		}, nil
	}
}

// measure records a batch in the metrics once its events are acknowledged.
func (h *Handler) measure(next stage) stage {
	return func(ctx context.Context, b *batch) (func(context.Context) error, error) {
		published, err := next(ctx, b)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) error {
			if err := published(ctx); err != nil {
				return err
			}
			h.observe(b.in, b.answers, len(b.dead), b.start, b.decided, time.Now())
			return nil
		}, nil
	}
}

// decide decides the batch's commands in one transaction and lays out what
// answers them.
func (h *Handler) decide(next stage) stage {
	return func(ctx context.Context, b *batch) (func(context.Context) error, error) {
		answers, err := h.decideCommands(ctx, b.cmds)
		if err != nil {
			return nil, err
		}
		b.answers, b.decided = answers, time.Now()
		b.out = make([]messaging.Message, 0, 2*len(answers)+len(b.refusals))
		b.out = append(b.out, b.refusals...)
		for _, a := range answers {
			b.out = append(b.out, events(a)...)
		}
		return next(ctx, b)
	}
}

// skipResent leaves out the BalanceChanged events that the take-over of the
// batch's partitions re-sent already.
func (h *Handler) skipResent(next stage) stage {
	return func(ctx context.Context, b *batch) (func(context.Context) error, error) {
		if h.Recovery != nil {
			b.out = h.Recovery.filter(b.out)
		}
		return next(ctx, b)
	}
}

// publish sends the dead letters and waits for them, then hands the events
// to the producer in order, without waiting.
func (h *Handler) publish(ctx context.Context, b *batch) (func(context.Context) error, error) {
	if err := h.producer.SendRaw(ctx, b.dead...); err != nil {
		return nil, fmt.Errorf("send dead letters: %w", err)
	}
	wait, err := h.producer.SendAsync(ctx, b.out...)
	if err != nil {
		return nil, fmt.Errorf("publish events: %w", err)
	}
	return func(ctx context.Context) error {
		if err := wait(ctx); err != nil {
			return fmt.Errorf("publish events: %w", err)
		}
		return nil
	}, nil
}
