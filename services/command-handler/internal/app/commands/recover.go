package commands

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/google/uuid"

	"openbank/messaging"
	"openbank/services/command-handler/internal/domain/ledger"
	"openbank/services/command-handler/internal/domain/tokens"
	"openbank/topology"
)

// Decided finds the commands decided since a partition's committed offset;
// balancedb.Store is the one in use.
type Decided interface {
	// DecidedSince returns the commands first read from a partition of from
	// at or after its offset there, in the order they were decided.
	DecidedSince(ctx context.Context, from map[int32]int64) ([]ledger.Handled, error)
}

// Recovery keeps an account's BalanceChanged events in the order of its
// balances across a crash. An instance that dies after a batch's database
// commit but before its events are acknowledged leaves decided commands whose
// events may never have been published; their records come again, but
// perhaps only after a newer command on the same account (from another
// partition) was decided and published. So, whenever partitions are assigned,
// and before anything is decided, Recovery re-sends the stored events of
// every command of those partitions at or after the committed offsets, in
// the order they were decided. The handler's step skipResent then keeps the
// redelivery of those very records from sending their BalanceChanged events
// yet again after newer ones (the feedback copy still goes out).
type Recovery struct {
	store   Decided
	publish Producer
	tokens  *tokens.Keyed // derives the tokens of stored account creations
	log     *slog.Logger

	mu sync.Mutex
	// resent: command id -> partition, for the commands re-sent and not yet
	// seen again.
	resent map[[16]byte]int32
}

// NewRecovery returns a Recovery that reads st and publishes with pub.
func NewRecovery(st Decided, pub Producer, keyed *tokens.Keyed, log *slog.Logger) *Recovery {
	return &Recovery{store: st, publish: pub, tokens: keyed, log: log, resent: map[[16]byte]int32{}}
}

// OnAssigned re-sends, in decision order, the events of the commands decided
// at or after the committed offsets of the commands partitions just assigned
// (see messaging.ConsumerOptions.OnAssigned). A partition without a committed
// offset is skipped: its records are all read again from the start.
func (r *Recovery) OnAssigned(ctx context.Context, committed map[messaging.TopicPartition]int64) error {
	from := map[int32]int64{}
	for tp, o := range committed {
		if tp.Topic == topology.TopicCommands {
			from[tp.Partition] = o
		}
	}
	if len(from) == 0 {
		return nil
	}
	decided, err := r.store.DecidedSince(ctx, from)
	if err != nil {
		return err
	}
	for i, h := range decided {
		decided[i] = withToken(r.tokens, h)
	}
	msgs := resend(decided)
	if err := r.publish.Send(ctx, msgs...); err != nil {
		return fmt.Errorf("re-send the events of %d commands decided before the assignment: %w", len(decided), err)
	}
	r.mu.Lock()
	for id, p := range r.resent {
		if _, again := from[p]; again {
			delete(r.resent, id)
		}
	}
	for _, h := range decided {
		r.resent[h.ID] = h.Partition
	}
	r.mu.Unlock()
	r.log.Info("re-sent the events of commands decided since the committed offsets",
		"partitions", len(from), "commands", len(decided), "records", len(msgs))
	return nil
}

// resend is the events of each of decided, in that order.
func resend(decided []ledger.Handled) []messaging.Message {
	var msgs []messaging.Message
	for _, h := range decided {
		a := answer{cmd: command{id: h.ID, kind: h.Outcome.Kind}, outcome: h.Outcome, sendChanges: true}
		msgs = append(msgs, events(a)...)
	}
	return msgs
}

// filter drops the BalanceChanged events of re-sent commands and forgets
// those commands once their feedback, the last record of an answer, passes.
func (r *Recovery) filter(msgs []messaging.Message) []messaging.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.resent) == 0 {
		return msgs
	}
	out := make([]messaging.Message, 0, len(msgs))
	for _, m := range msgs {
		id, err := uuid.Parse(headerValue(m.Headers, topology.HeaderCommandID))
		if _, resent := r.resent[id]; err != nil || !resent {
			out = append(out, m)
			continue
		}
		if m.Topic == topology.TopicBalanceChanged {
			continue
		}
		delete(r.resent, id)
		out = append(out, m)
	}
	return out
}

func headerValue(hs []messaging.Header, key string) string {
	for _, h := range hs {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}
