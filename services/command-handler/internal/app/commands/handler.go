// Package commands handles batches of the bank's commands: it decides them
// with the bank rules in one database transaction per batch, then publishes
// the feedback and BalanceChanged events, and only then lets the consumer
// commit the offsets.
// path.go is the order of it all, with why a crash at any point loses and
// doubles nothing; the bank rules themselves are the ledger package's.
package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/trace"

	"openbank/kit/observe"
	"openbank/messaging"
	"openbank/services/command-handler/internal/domain/ledger"
	"openbank/services/command-handler/internal/domain/tokens"
	"openbank/topology"
	"openbank/topology/ident"
	"openbank/topology/records"
)

// Producer sends records and waits until Kafka has acknowledged all of them;
// SendAsync hands them over in order and leaves the waiting to wait.
type Producer interface {
	Send(ctx context.Context, msgs ...messaging.Message) error
	SendAsync(ctx context.Context, msgs ...messaging.Message) (wait func(context.Context) error, err error)
	SendRaw(ctx context.Context, msgs ...messaging.RawMessage) error
}

// Store keeps the accounts and what each command led to; balancedb.Store is
// the one in use.
type Store interface {
	// Decide waits for any other batch of the same commands partitions to
	// end, locks the existing accounts among ibans and reads the commands
	// among ids handled before, lets decide change the book and name the
	// commands it decided, and stores both: all of it, or nothing when decide
	// or the store fails.
	Decide(ctx context.Context, partitions []int32, ibans []string, ids [][16]byte,
		decide func(ledger.Book, map[[16]byte]ledger.Handled) ([]ledger.Handled, error)) error
}

// Handler decides commands and answers them.
type Handler struct {
	store      Store
	producer   Producer
	deadLetter string // topic for commands that are not valid commands
	metrics    *Metrics
	log        *slog.Logger
	stage      stage // path()
	// tokens hashes the tokens of transfers before they are decided and
	// derives each new account's token from its creation command's id.
	tokens *tokens.Keyed
	// NewIBAN returns a fresh iban for an account creation.
	NewIBAN func() (string, error)
	// Recovery, when set, is the take-over of partitions whose events it
	// re-sent (path.go, step 2); nil when nothing is ever re-sent.
	Recovery *Recovery
}

// New returns a handler that keeps state in st, publishes with pub and
// keeps account tokens as keyed's hashes.
func New(st Store, pub Producer, deadLetterTopic string, keyed *tokens.Keyed, m *Metrics, log *slog.Logger) *Handler {
	h := &Handler{store: st, producer: pub, deadLetter: deadLetterTopic, tokens: keyed, metrics: m, log: log, NewIBAN: ident.NewIBAN}
	h.stage = h.path()
	return h
}

// withToken gives a stored confirmed account creation its token back: it is
// derived from the command id, never stored.
func withToken(keyed *tokens.Keyed, h ledger.Handled) ledger.Handled {
	if h.Outcome.Kind == ledger.KindAccountCreation && h.Outcome.Confirmed() {
		h.Outcome.Token = keyed.ForAccount(h.ID)
	}
	return h
}

// command is a delivery that is a valid command.
type command struct {
	d        *messaging.Delivery
	id       [16]byte
	kind     ledger.Kind
	aType    string          // account creation
	transfer ledger.Transfer // money transfer, TokenHash set by decideCommands
	token    string          // money transfer: the token sent, hashed before deciding
	span     trace.Span      // continues the record's trace; nil when tracing is off
}

// answer is what one command leads to in this batch.
type answer struct {
	cmd     command
	outcome ledger.Outcome
	// sendChanges: also (re)publish the BalanceChanged events, not only the
	// feedback. False for a client's retry of a command handled before.
	sendChanges bool
	result      string // for the metrics
}

// Results of a command, as counted in the metrics.
const (
	ResultConfirmed = "confirmed"
	ResultFailed    = "failed"
	// ResultDuplicate: the id was handled before (a client's retry); the stored
	// feedback is sent again and nothing changes.
	ResultDuplicate = "duplicate"
	// ResultRedelivered: this very record was handled before its offset was
	// committed (a crash or rebalance); every stored event is sent again.
	ResultRedelivered = "redelivered"
)

// Handle handles one batch; see messaging.Handler. It is safe to call again
// with the same batch after an error or a crash.
func (h *Handler) Handle(ctx context.Context, batch []messaging.Delivery) error {
	published, err := h.Begin(ctx, batch)
	if err != nil {
		return err
	}
	return published(ctx)
}

// Begin takes one batch along the path (path.go) as far as handing its
// events to the producer, without waiting for Kafka; published waits until
// they are acknowledged (see messaging.Stage). Like Handle, it is safe to
// call again with the same batch after an error or a crash.
func (h *Handler) Begin(ctx context.Context, in []messaging.Delivery) (published func(context.Context) error, err error) {
	return h.stage(ctx, &batch{in: in})
}

// observe records a published batch in the metrics.
func (h *Handler) observe(batch []messaging.Delivery, answers []answer, dead int, start, decided, done time.Time) {
	h.metrics.observeBatch(len(batch), done.Sub(start))
	h.metrics.Stage.With("decide").Update(decided.Sub(start).Seconds())
	h.metrics.Stage.With("publish").Update(done.Sub(decided).Seconds())
	h.metrics.DeadLetters.Add(dead)
	for _, a := range answers {
		h.metrics.Commands.With([2]string{a.cmd.kind.String(), a.result}).Inc()
		if a.result == ResultFailed {
			h.metrics.Rejections.With([2]string{a.cmd.kind.String(), a.outcome.Reason}).Inc()
		}
		if !a.cmd.d.Timestamp.IsZero() {
			h.metrics.Latency.Update(observe.Queued(a.cmd.d.Timestamp, done))
		}
	}
	h.metrics.observeHops(batch, len(answers), start, decided, done)
}

// decideCommands decides the batch's commands in one transaction and returns their answers.
func (h *Handler) decideCommands(ctx context.Context, cmds []command) ([]answer, error) {
	if len(cmds) == 0 {
		return nil, nil
	}
	ids := make([][16]byte, 0, len(cmds))
	partitions := make([]int32, 0, 1)
	ibans := make([]string, 0, 2*len(cmds))
	generated := make([]newAccount, len(cmds))
	for i, c := range cmds {
		ids = append(ids, c.id)
		partitions = append(partitions, c.d.Partition)
		switch c.kind {
		case ledger.KindMoneyTransfer:
			cmds[i].transfer.TokenHash = h.tokens.Hash(c.token)
			// Only a valid iban can be an account of this bank.
			for _, iban := range []string{c.transfer.From, c.transfer.To} {
				if ident.ValidIBAN(iban) {
					ibans = append(ibans, iban)
				}
			}
		case ledger.KindAccountCreation:
			iban, err := h.NewIBAN()
			if err != nil {
				return nil, fmt.Errorf("generate account: %w", err)
			}
			token := h.tokens.ForAccount(c.id)
			generated[i] = newAccount{iban: iban, token: token, hash: h.tokens.Hash(token)}
			ibans = append(ibans, iban) // loaded when it exists: then it is taken
		}
	}
	slices.Sort(ibans)
	ibans = slices.Compact(ibans)
	slices.Sort(partitions)
	partitions = slices.Compact(partitions)

	var answers []answer
	err := h.store.Decide(ctx, partitions, ibans, ids, func(book ledger.Book, handled map[[16]byte]ledger.Handled) ([]ledger.Handled, error) {
		for id, hd := range handled {
			handled[id] = withToken(h.tokens, hd)
		}
		var newly []ledger.Handled
		answers, newly = decideBatch(cmds, generated, book, handled)
		return newly, nil
	})
	if err != nil {
		return nil, err
	}
	return answers, nil
}

// newAccount is what an account creation is decided with.
type newAccount struct {
	iban, token string
	hash        []byte
}

// decideBatch answers each command in order against book, which it changes:
// a command handled before or earlier in the batch gets its first answer
// again; the rest are decided by the bank rules and returned as newly handled.
func decideBatch(cmds []command, generated []newAccount, book ledger.Book, handled map[[16]byte]ledger.Handled) ([]answer, []ledger.Handled) {
	answers := make([]answer, 0, len(cmds))
	newly := make([]ledger.Handled, 0, len(cmds))
	inBatch := make(map[[16]byte]ledger.Outcome, len(cmds))
	for i, c := range cmds {
		at := ledger.Position{Partition: c.d.Partition, Offset: c.d.Offset}
		prev, stored := handled[c.id]
		var before *ledger.Position
		if stored {
			p := prev.At()
			before = &p
		}
		earlier, seen := inBatch[c.id]
		how := ledger.Classify(at, before, seen)
		a := answer{cmd: c, sendChanges: how.SendsChanges()}
		switch how {
		case ledger.Redelivery:
			a.outcome, a.result = prev.Outcome, ResultRedelivered
		case ledger.ClientRetry:
			a.outcome, a.result = prev.Outcome, ResultDuplicate
		case ledger.RepeatedInBatch:
			a.outcome, a.result = earlier, ResultDuplicate
		case ledger.Undecided:
			switch c.kind {
			case ledger.KindMoneyTransfer:
				a.outcome = ledger.DecideTransfer(c.transfer, book)
			case ledger.KindAccountCreation:
				a.outcome = ledger.DecideAccountCreation(c.aType, generated[i].iban, generated[i].token, generated[i].hash, book)
			}
			inBatch[c.id] = a.outcome
			newly = append(newly, ledger.Handled{ID: c.id, Partition: at.Partition, Offset: at.Offset, Outcome: a.outcome})
			a.result = ResultConfirmed
			if !a.outcome.Confirmed() {
				a.result = ResultFailed
			}
		}
		answers = append(answers, a)
	}
	return answers, newly
}

// events are the records that answer a: its BalanceChanged events (when they
// are to be sent) and its feedback, each with the command id header.
func events(a answer) []messaging.Message {
	idText := uuid.UUID(a.cmd.id).String()
	header := traced(a.cmd, []messaging.Header{messaging.CommandIDHeader(idText)})
	var out []messaging.Message
	if a.sendChanges {
		for _, bc := range a.outcome.BalanceChanges() {
			out = append(out, messaging.Message{Topic: topology.TopicBalanceChanged, Key: bc.IBAN, Record: bc, Headers: header})
		}
	}
	feedbackTopic := topology.TopicMoneyTransferFeedback
	if a.outcome.Kind == ledger.KindAccountCreation {
		feedbackTopic = topology.TopicAccountCreationFeedback
	}
	return append(out, messaging.Message{Topic: feedbackTopic, Key: idText, Record: a.outcome.Feedback(a.cmd.id), Headers: header})
}

// Why a decodable record is not a valid command.
var (
	ErrNotACommand = errors.New("record type does not belong on the commands topic")
	ErrKeyNotUUID  = errors.New("record key is not a UUID")
	ErrKeyMismatch = errors.New("record key is not the command's id")
	// ErrBadText: PostgreSQL text holds neither NUL nor invalid UTF-8, so such a
	// command could never be stored and would stop the handler for good.
	ErrBadText = errors.New("text field is not valid UTF-8 or holds a NUL character")
)

// parse checks that d is a command whose key, when it has one, is its id.
// A missing key is accepted: the id in the record is what counts.
func parse(d *messaging.Delivery) (command, error) {
	var c command
	switch r := d.Record.(type) {
	case *records.ConfirmAccountCreation:
		c = command{d: d, id: r.ID, kind: ledger.KindAccountCreation, aType: r.AType}
		if !storable(r.AType) {
			return c, ErrBadText
		}
	case *records.ConfirmMoneyTransfer:
		c = command{d: d, id: r.ID, kind: ledger.KindMoneyTransfer, token: r.Token, transfer: ledger.Transfer{
			Amount: r.Amount, From: r.From, To: r.To, Description: r.Description}}
		for _, s := range []string{r.Token, r.From, r.To, r.Description} {
			if !storable(s) {
				return c, ErrBadText
			}
		}
	default:
		return c, fmt.Errorf("%w: %T", ErrNotACommand, d.Record)
	}
	if len(d.Key) == 0 {
		return c, nil
	}
	key, err := ident.ParseCommandID(string(d.Key))
	if err != nil {
		return c, fmt.Errorf("%w: %v", ErrKeyNotUUID, err)
	}
	if key != uuid.UUID(c.id) {
		return c, fmt.Errorf("%w: key %s, id %s", ErrKeyMismatch, key, uuid.UUID(c.id))
	}
	return c, nil
}

// ReasonInvalidCommand answers a dead-lettered command whose id can be read,
// so its sender gets a definite answer instead of waiting for ever.
const ReasonInvalidCommand = "invalid command: text is not valid UTF-8 or holds a NUL character"

// refusal is the failure feedback for a command dead-lettered for its text
// (ErrBadText) whose key, if any, is its id; other dead letters have no id
// to answer. It is not stored: the same command gets the same answer again.
func refusal(c command, why error) (messaging.Message, bool) {
	if !errors.Is(why, ErrBadText) {
		return messaging.Message{}, false
	}
	id := uuid.UUID(c.id)
	if len(c.d.Key) > 0 {
		if key, err := ident.ParseCommandID(string(c.d.Key)); err != nil || key != id {
			return messaging.Message{}, false
		}
	}
	o := ledger.Outcome{Kind: c.kind, Reason: ReasonInvalidCommand}
	topic := topology.TopicMoneyTransferFeedback
	if c.kind == ledger.KindAccountCreation {
		topic = topology.TopicAccountCreationFeedback
	}
	return messaging.Message{Topic: topic, Key: id.String(), Record: o.Feedback(c.id),
		Headers: []messaging.Header{messaging.CommandIDHeader(id.String())}}, true
}

func storable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}
