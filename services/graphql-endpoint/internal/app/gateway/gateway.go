// Package gateway is what the GraphQL API does: it opens accounts and logs in,
// sends money transfers and waits for the command handler's feedback, and
// turns BalanceChanged records into stored, streamed transactions.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"openbank/messaging"
	"openbank/services/graphql-endpoint/internal/app/feedback"
	"openbank/services/graphql-endpoint/internal/app/ratelimit"
	"openbank/services/graphql-endpoint/internal/domain/account"
	"openbank/services/graphql-endpoint/internal/domain/transaction"
	"openbank/services/graphql-endpoint/internal/domain/transfer"
	"openbank/services/graphql-endpoint/internal/metrics"
	"openbank/topology/ident"
)

// Reasons the gateway itself gives (the command handler's reasons pass through).
const (
	ReasonIncorrectPassword = "incorrect password"
	// ReasonUsernameTaken is open_account's answer to a username that exists,
	// whatever the password.
	ReasonUsernameTaken = "username taken"
	// ReasonIncorrectLogin is login's answer to an unknown username and to a
	// wrong password alike, so login does not tell which usernames exist.
	ReasonIncorrectLogin = "incorrect username or password"
	ReasonNoAnswer       = "no answer from the command handler in time, try again"
	ReasonCreationFailed = "account creation failed, try again"
)

// Accounts keeps the web page's users and their pending creations (store.Store).
type Accounts interface {
	AccountByUsername(ctx context.Context, username string) (a account.Account, ok bool, err error)
	AddPendingAccount(ctx context.Context, a account.Account) (created bool, err error)
	DropPendingAccount(ctx context.Context, creationID ident.CommandID) error
	CreationOutcome(ctx context.Context, creationID ident.CommandID) (c account.Creation, known bool, err error)
}

// Transfers keeps the money transfers sent and their answers (store.Store).
type Transfers interface {
	ClaimTransfer(ctx context.Context, cmd transfer.Command) (claimed bool, existing transfer.Result, err error)
	TransferResult(ctx context.Context, id ident.CommandID) (transfer.Result, error)
	ResendDue(ctx context.Context, cmd transfer.Command, after time.Duration) (send transfer.Command, due bool, err error)
	SendFailed(ctx context.Context, id ident.CommandID) error
}

// Answers stores the command handler's answers to commands sent through any
// instance, tells every instance of them, and returns those it stored
// (store.Store).
type Answers interface {
	RecordFeedback(ctx context.Context, creations []account.Creation, results []transfer.Result) ([]account.Creation, []transfer.Result, error)
}

// Transactions stores BalanceChanged records once each and reads them back
// in the order every instance streams them (store.Store).
type Transactions interface {
	AddTransactions(ctx context.Context, txs []transaction.Transaction, progress map[int32]int64) (inserted []transaction.Transaction, err error)
	Stream(ctx context.Context, cursor map[int32]int64, limit int) ([]transaction.Transaction, error)
}

// Store is all the gateway keeps in transactiondb.
type Store interface {
	Accounts
	Transfers
	Answers
	Transactions
}

// Producer produces records (messaging.Producer).
type Producer interface {
	Send(ctx context.Context, msgs ...messaging.Message) error
}

// Subscribers hands stored transactions to the stream subscribers (fanout.Hub).
type Subscribers interface {
	Publish(txs []transaction.Transaction)
}

// Options tune the gateway.
type Options struct {
	// FeedbackTimeout is how long a request waits for the command handler.
	FeedbackTimeout time.Duration
	// StreamSince: records older (by their Kafka timestamp) are left out of
	// the hop and stream-lag histograms (a first start's history).
	StreamSince time.Time
	// StreamFrom is, per partition of balance_changed, the last offset stored
	// before the start (store.Cursors): the stream begins after it.
	StreamFrom map[int32]int64
	// PollInterval is how often the stream and waiting requests look in
	// transactiondb without a notification (one missed only delays).
	PollInterval time.Duration
	// HashConcurrency bounds simultaneous password hashes (each needs ~19 MiB).
	HashConcurrency int
	// HashesDone, when set, runs as a password hash ends with no other
	// running: the 19 MiB each frees can be given back to the system then.
	HashesDone func()
	// SendTimeout bounds the wait for Kafka to take a command (Kafka down).
	SendTimeout time.Duration
	// Metrics are observed here; nil: nowhere.
	Metrics *metrics.Metrics
	// Passwords is charged for every password hash; nil: no rate limit.
	Passwords *ratelimit.Passwords
}

// ErrUnavailable: a command could not be handed to Kafka in time. The client
// is told to try again; the detail is logged.
var ErrUnavailable = errors.New("the bank cannot take commands right now, try again")

// Gateway is the service behind the resolvers and the consumers.
type Gateway struct {
	store     Store
	producer  Producer
	hub       Subscribers
	accounts  *feedback.Waiters[account.Creation]
	transfers *feedback.Waiters[transfer.Result]
	opts      Options
	hashSlots chan struct{}
	// kick wakes Follow: rows were stored that are not handed on here yet.
	kick     chan struct{}
	streamed *streamed
	// dummyHash is checked for an unknown username, so login takes as long
	// as for a known one.
	dummyHash string
	log       *slog.Logger
}

// New returns a gateway.
func New(st Store, producer Producer, hub Subscribers, opts Options, log *slog.Logger) *Gateway {
	if opts.FeedbackTimeout <= 0 {
		opts.FeedbackTimeout = 10 * time.Second
	}
	if opts.HashConcurrency <= 0 {
		opts.HashConcurrency = 2
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.SendTimeout <= 0 {
		opts.SendTimeout = 5 * time.Second
	}
	if opts.Metrics == nil {
		opts.Metrics = metrics.New(nil)
	}
	dummy, err := account.HashPassword(ident.NewCommandID().String())
	if err != nil {
		panic(fmt.Sprintf("hash a dummy password: %v", err)) // crypto/rand failed: nothing works
	}
	return &Gateway{
		store: st, producer: producer, hub: hub,
		accounts:  feedback.NewWaiters[account.Creation](),
		transfers: feedback.NewWaiters[transfer.Result](),
		opts:      opts, hashSlots: make(chan struct{}, opts.HashConcurrency), kick: make(chan struct{}, 1), dummyHash: dummy, log: log,
		streamed: newStreamed(opts.StreamFrom),
	}
}

// send hands msg to Kafka, waiting at most SendTimeout for its acknowledgement.
func (g *Gateway) send(ctx context.Context, what string, msg messaging.Message) error {
	ctx, cancel := context.WithTimeout(ctx, g.opts.SendTimeout)
	defer cancel()
	if err := g.producer.Send(ctx, msg); err != nil {
		return fmt.Errorf("send %s: %w: %w", what, ErrUnavailable, err)
	}
	return nil
}
