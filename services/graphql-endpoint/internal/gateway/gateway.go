// Package gateway is what the GraphQL API does: it opens accounts and logs in,
// sends money transfers and waits for the command handler's feedback, and
// turns BalanceChanged records into stored, streamed transactions.
package gateway

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"openbank/services/graphql-endpoint/internal/account"
	"openbank/services/graphql-endpoint/internal/feedback"
	"openbank/services/graphql-endpoint/internal/metrics"
	"openbank/services/graphql-endpoint/internal/store"
	"openbank/services/graphql-endpoint/internal/transaction"
	"openbank/services/graphql-endpoint/internal/transfer"
	"openbank/topology"
	"openbank/topology/bank"
	"openbank/topology/records"
)

// Reasons the gateway itself gives (the command handler's reasons pass through).
const (
	ReasonIncorrectPassword = "incorrect password"
	// ReasonIncorrectLogin is login's answer to an unknown username and to a
	// wrong password alike, so login does not tell which usernames exist.
	ReasonIncorrectLogin = "incorrect username or password"
	ReasonNoAnswer       = "no answer from the command handler in time, try again"
	ReasonCreationFailed = "account creation failed, try again"
)

// Accounts keeps the web page's users and their pending creations (store.Store).
type Accounts interface {
	AccountByUsername(ctx context.Context, username string) (a store.Account, ok bool, err error)
	AddPendingAccount(ctx context.Context, a store.Account) (created bool, err error)
	DropPendingAccount(ctx context.Context, creationID bank.CommandID) error
	RecordAccountCreations(ctx context.Context, answers []store.AccountCreation) error
}

// Transfers keeps the money transfers sent and their answers (store.Store).
type Transfers interface {
	ClaimTransfer(ctx context.Context, cmd transfer.Command) (claimed bool, existing store.TransferResult, err error)
	TransferResult(ctx context.Context, id bank.CommandID) (store.TransferResult, error)
	ResendDue(ctx context.Context, cmd transfer.Command, after time.Duration) (send transfer.Command, due bool, err error)
	SendFailed(ctx context.Context, id bank.CommandID) error
	RecordTransferResults(ctx context.Context, results []store.TransferResult) error
}

// Transactions stores BalanceChanged records once each (store.Store).
type Transactions interface {
	AddTransactions(ctx context.Context, txs []transaction.Transaction, progress map[int32]int64) (stored []transaction.Transaction, inserted int, err error)
}

// Store is all the gateway keeps in transactiondb.
type Store interface {
	Accounts
	Transfers
	Transactions
}

// Sender produces records (topology.Producer).
type Sender interface {
	Send(ctx context.Context, msgs ...topology.Message) error
}

// Publisher hands stored transactions to the stream subscribers (fanout.Hub).
type Publisher interface {
	Publish(txs []transaction.Transaction)
}

// Options tune the gateway.
type Options struct {
	// FeedbackTimeout is how long a request waits for the command handler.
	FeedbackTimeout time.Duration
	// StreamSince: records with a Kafka timestamp before it are stored but not
	// streamed (history read on a first start, which no subscriber of this
	// process was waiting for).
	StreamSince time.Time
	// HashConcurrency bounds simultaneous password hashes (each needs ~19 MiB).
	HashConcurrency int
	// SendTimeout bounds the wait for Kafka to take a command (Kafka down).
	SendTimeout time.Duration
	// Metrics are observed here; nil: nowhere.
	Metrics *metrics.Metrics
}

// ErrUnavailable: a command could not be handed to Kafka in time. The client
// is told to try again; the detail is logged.
var ErrUnavailable = errors.New("the bank cannot take commands right now, try again")

// Gateway is the service behind the resolvers and the consumers.
type Gateway struct {
	store     Store
	sender    Sender
	hub       Publisher
	accounts  *feedback.Waiters[store.AccountCreation]
	transfers *feedback.Waiters[store.TransferResult]
	opts      Options
	hashSlots chan struct{}
	// dummyHash is checked for an unknown username, so login takes as long
	// as for a known one.
	dummyHash string
	log       *slog.Logger
}

// New returns a gateway.
func New(st Store, sender Sender, hub Publisher, opts Options, log *slog.Logger) *Gateway {
	if opts.FeedbackTimeout <= 0 {
		opts.FeedbackTimeout = 10 * time.Second
	}
	if opts.HashConcurrency <= 0 {
		opts.HashConcurrency = 2
	}
	if opts.SendTimeout <= 0 {
		opts.SendTimeout = 5 * time.Second
	}
	if opts.Metrics == nil {
		opts.Metrics = metrics.New(nil)
	}
	dummy, err := account.HashPassword(bank.NewCommandID().String())
	if err != nil {
		panic(fmt.Sprintf("hash a dummy password: %v", err)) // crypto/rand failed: nothing works
	}
	return &Gateway{
		store: st, sender: sender, hub: hub,
		accounts:  feedback.NewWaiters[store.AccountCreation](),
		transfers: feedback.NewWaiters[store.TransferResult](),
		opts:      opts, hashSlots: make(chan struct{}, opts.HashConcurrency), dummyHash: dummy, log: log,
	}
}

// send hands msg to Kafka, waiting at most SendTimeout for its acknowledgement.
func (g *Gateway) send(ctx context.Context, what string, msg topology.Message) error {
	ctx, cancel := context.WithTimeout(ctx, g.opts.SendTimeout)
	defer cancel()
	if err := g.sender.Send(ctx, msg); err != nil {
		return fmt.Errorf("send %s: %w: %w", what, ErrUnavailable, err)
	}
	return nil
}

// AccountResult is get_account's answer: IBAN and Token, or Reason.
type AccountResult struct {
	IBAN, Token, Reason string
}

// GetAccount opens an account for a new username, or logs in (create false:
// only logs in). The result of an opening arrives with the command handler's
// feedback.
func (g *Gateway) GetAccount(ctx context.Context, username, password string, create bool) (AccountResult, error) {
	// A few rounds: the username may be taken, or its pending row dropped, meanwhile.
	for range 3 {
		a, ok, err := g.store.AccountByUsername(ctx, username)
		if err != nil {
			return AccountResult{}, err
		}
		if ok {
			match, err := g.checkPassword(ctx, a.PasswordHash, password)
			if err != nil {
				return AccountResult{}, err
			}
			if !match && !create {
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
		if !create {
			// As long as checking a known username's password, and the same answer.
			if _, err := g.checkPassword(ctx, g.dummyHash, password); err != nil {
				return AccountResult{}, err
			}
			return AccountResult{Reason: ReasonIncorrectLogin}, nil
		}
		hash, err := g.hashPassword(ctx, password)
		if err != nil {
			return AccountResult{}, err
		}
		id := bank.NewCommandID()
		created, err := g.store.AddPendingAccount(ctx, store.Account{Username: username, PasswordHash: hash, CreationID: id})
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
func (g *Gateway) createAccount(ctx context.Context, id bank.CommandID) (res AccountResult, err error) {
	begun := time.Now()
	ctx, span := startCommand(ctx, "open account", id.String())
	defer func() { endCommand(span, res.IBAN != "", res.Reason, err) }()
	cleanup := context.WithoutCancel(ctx)
	answer, cancel := g.accounts.Wait(id)
	defer cancel()
	start := time.Now()
	err = g.send(ctx, "account creation", topology.Message{
		Topic: topology.TopicCommands, Key: id.String(),
		Record:  &records.ConfirmAccountCreation{ID: bank.Fixed(id), AType: records.AtypeManual},
		Headers: []topology.Header{topology.CommandIDHeader(id.String())},
	})
	if err != nil {
		_ = g.store.DropPendingAccount(cleanup, id)
		return AccountResult{}, err
	}
	acknowledged(g.opts.Metrics.Hops, span, begun)
	timer := time.NewTimer(g.opts.FeedbackTimeout)
	defer timer.Stop()
	select {
	case a := <-answer:
		return g.creationResult(cleanup, a, start), nil
	case <-timer.C:
		g.opts.Metrics.FeedbackWait.WithLabelValues("account_creation", "timeout").Observe(time.Since(start).Seconds())
		if err := g.store.DropPendingAccount(cleanup, id); err != nil {
			g.log.Warn("drop pending account after time-out", "error", err)
		}
		return AccountResult{Reason: ReasonNoAnswer}, nil
	case <-ctx.Done():
		// The client left; the feedback consumer still fills in or drops the row.
		return AccountResult{}, ctx.Err()
	}
}

func (g *Gateway) creationResult(ctx context.Context, a store.AccountCreation, start time.Time) AccountResult {
	if a.IBAN != "" {
		g.opts.Metrics.FeedbackWait.WithLabelValues("account_creation", "confirmed").Observe(time.Since(start).Seconds())
		return AccountResult{IBAN: a.IBAN, Token: a.Token}
	}
	g.opts.Metrics.FeedbackWait.WithLabelValues("account_creation", "failed").Observe(time.Since(start).Seconds())
	// The consumer deletes the row too; doing it here as well keeps the answer true
	// even if this instance's consumer is behind.
	if err := g.store.DropPendingAccount(ctx, a.CreationID); err != nil {
		g.log.Warn("drop failed account", "error", err)
	}
	return AccountResult{Reason: a.Reason}
}

// awaitOthersCreation waits for a creation another request sent. done false
// means the row went away without an answer here: look again.
func (g *Gateway) awaitOthersCreation(ctx context.Context, username string, id bank.CommandID) (AccountResult, bool, error) {
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
	timer := time.NewTimer(g.opts.FeedbackTimeout)
	defer timer.Stop()
	select {
	case a := <-answer:
		if a.IBAN != "" {
			return AccountResult{IBAN: a.IBAN, Token: a.Token}, true, nil
		}
		return AccountResult{Reason: a.Reason}, true, nil
	case <-timer.C:
		// Its sender has given up by now too (it started earlier): drop the row,
		// so the username is not stuck on a creation that never got an answer.
		if err := g.store.DropPendingAccount(context.WithoutCancel(ctx), id); err != nil {
			g.log.Warn("drop unanswered account creation", "error", err)
		}
		return AccountResult{Reason: ReasonNoAnswer}, true, nil
	case <-ctx.Done():
		return AccountResult{}, true, ctx.Err()
	}
}

func (g *Gateway) hashPassword(ctx context.Context, password string) (string, error) {
	if err := g.acquireHashSlot(ctx); err != nil {
		return "", err
	}
	defer func() { <-g.hashSlots }()
	return account.HashPassword(password)
}

func (g *Gateway) checkPassword(ctx context.Context, hash, password string) (bool, error) {
	if err := g.acquireHashSlot(ctx); err != nil {
		return false, err
	}
	defer func() { <-g.hashSlots }()
	ok, err := account.CheckPassword(hash, password)
	if err != nil {
		return false, fmt.Errorf("check password: %w", err)
	}
	return ok, nil
}

func (g *Gateway) acquireHashSlot(ctx context.Context) error {
	select {
	case g.hashSlots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TransferResult is money_transfer's answer.
type TransferResult struct {
	Success bool
	Reason  string
}

// MoneyTransfer sends cmd and returns the command handler's answer. A uuid
// sent before (by any instance) gets that answer; while it is awaited, a
// repeat waits too; when whoever sent it stopped waiting (no feedback in
// FeedbackTimeout) or sending failed, a repeat sends the stored command again
// under the same id, and the command handler answers a repeat with its
// stored result: a lost or dead-lettered command gets a definite answer.
func (g *Gateway) MoneyTransfer(ctx context.Context, cmd transfer.Command) (res TransferResult, err error) {
	begun := time.Now()
	ctx, span := startCommand(ctx, "money_transfer", cmd.ID.String())
	defer func() { endCommand(span, res.Success, res.Reason, err) }()
	claimed, existing, err := g.store.ClaimTransfer(ctx, cmd)
	if err != nil {
		return TransferResult{}, err
	}
	if existing.Known {
		return TransferResult{Success: existing.Success, Reason: existing.Reason}, nil
	}
	answer, cancel := g.transfers.Wait(cmd.ID)
	defer cancel()
	start := time.Now()
	send, due := cmd, claimed
	if !claimed {
		// Sent before and not answered when claimed: look again now that we listen.
		r, err := g.store.TransferResult(ctx, cmd.ID)
		if err != nil {
			return TransferResult{}, err
		}
		if r.Known {
			return TransferResult{Success: r.Success, Reason: r.Reason}, nil
		}
		if send, due, err = g.store.ResendDue(ctx, cmd, g.opts.FeedbackTimeout); err != nil {
			return TransferResult{}, err
		}
	}
	if due {
		err := g.send(ctx, "money transfer", topology.Message{
			Topic: topology.TopicCommands, Key: send.ID.String(),
			Record: &records.ConfirmMoneyTransfer{ID: bank.Fixed(send.ID), Token: send.Token, Amount: send.Amount,
				From: send.From, To: send.To, Description: send.Descr},
			Headers: []topology.Header{topology.CommandIDHeader(send.ID.String())},
		})
		if err != nil {
			if err := g.store.SendFailed(context.WithoutCancel(ctx), cmd.ID); err != nil {
				g.log.Warn("mark transfer unsent", "error", err)
			}
			return TransferResult{}, err
		}
		acknowledged(g.opts.Metrics.Hops, span, begun)
	}
	timer := time.NewTimer(g.opts.FeedbackTimeout)
	defer timer.Stop()
	select {
	case r := <-answer:
		outcome := "confirmed"
		if !r.Success {
			outcome = "failed"
		}
		if claimed {
			g.opts.Metrics.FeedbackWait.WithLabelValues("money_transfer", outcome).Observe(time.Since(start).Seconds())
		}
		return TransferResult{Success: r.Success, Reason: r.Reason}, nil
	case <-timer.C:
		if claimed {
			g.opts.Metrics.FeedbackWait.WithLabelValues("money_transfer", "timeout").Observe(time.Since(start).Seconds())
		}
		return TransferResult{Success: false, Reason: ReasonNoAnswer}, nil
	case <-ctx.Done():
		return TransferResult{}, ctx.Err()
	}
}

// HandleFeedback is the handler of the feedback consumer: it stores the
// answers (first) and then wakes whoever waits for them.
func (g *Gateway) HandleFeedback(ctx context.Context, batch []topology.Delivery) (err error) {
	ev := consume(ctx, g.opts.Metrics.Hops, "feedback consumed", batch, g.opts.StreamSince)
	defer func() { ev.end(err) }()
	var creations []store.AccountCreation
	var results []store.TransferResult
	for _, d := range batch {
		switch r := d.Record.(type) {
		case *records.AccountCreationConfirmed:
			creations = append(creations, store.AccountCreation{CreationID: bank.CommandIDFromFixed(r.ID), IBAN: r.IBAN, Token: r.Token})
		case *records.AccountCreationFailed:
			creations = append(creations, store.AccountCreation{CreationID: bank.CommandIDFromFixed(r.ID), Reason: r.Reason})
		case *records.MoneyTransferConfirmed:
			results = append(results, store.TransferResult{ID: bank.CommandIDFromFixed(r.ID), Known: true, Success: true})
		case *records.MoneyTransferFailed:
			results = append(results, store.TransferResult{ID: bank.CommandIDFromFixed(r.ID), Known: true, Reason: r.Reason})
		}
	}
	if err := g.store.RecordAccountCreations(ctx, creations); err != nil {
		return err
	}
	if err := g.store.RecordTransferResults(ctx, results); err != nil {
		return err
	}
	ev.storedNow()
	for _, c := range creations {
		g.accounts.Deliver(c.CreationID, c)
	}
	for _, r := range results {
		g.transfers.Deliver(r.ID, r)
	}
	return nil
}

// HandleBalanceChanged is the handler of the balance_changed consumer: it
// stores each change once and streams what the database holds.
func (g *Gateway) HandleBalanceChanged(ctx context.Context, batch []topology.Delivery) (err error) {
	ev := consume(ctx, g.opts.Metrics.Hops, "balance_changed consumed", batch, g.opts.StreamSince)
	defer func() { ev.end(err) }()
	// In (partition, offset) order: see store.AddTransactions. One partition's
	// records (one iban's) keep their order, so their row ids do too.
	batch = slices.Clone(batch)
	slices.SortStableFunc(batch, func(a, b topology.Delivery) int {
		return cmp.Or(cmp.Compare(a.Partition, b.Partition), cmp.Compare(a.Offset, b.Offset))
	})
	next := map[int32]int64{}
	for _, d := range batch {
		next[d.Partition] = max(next[d.Partition], d.Offset+1)
	}
	txs := make([]transaction.Transaction, 0, len(batch))
	fresh := make(map[string]time.Time, len(batch)) // command id + iban -> Kafka timestamp, for those to stream
	for _, d := range batch {
		bc, ok := d.Record.(*records.BalanceChanged)
		if !ok {
			continue
		}
		cmd := d.Header(topology.HeaderCommandID)
		if cmd == "" {
			// Every event should carry it; without, the record's place identifies it.
			cmd = fmt.Sprintf("%s/%d/%d", d.Topic, d.Partition, d.Offset)
			g.log.Warn("BalanceChanged without command-id header", "partition", d.Partition, "offset", d.Offset)
		}
		txs = append(txs, transaction.Transaction{CommandID: cmd, IBAN: bc.IBAN, NewBalance: bc.NewBalance,
			ChangedBy: bc.ChangedBy, FromTo: bc.FromTo, Descr: bc.Description})
		if !d.Timestamp.Before(g.opts.StreamSince) {
			fresh[cmd+"\x00"+bc.IBAN] = d.Timestamp
		}
	}
	start := time.Now()
	stored, inserted, err := g.store.AddTransactions(ctx, txs, next)
	if err != nil {
		return err
	}
	g.opts.Metrics.StoreBatch.Observe(time.Since(start).Seconds())
	ev.storedNow()
	g.opts.Metrics.TransactionsStored.Add(float64(inserted))
	streamed := stored[:0:0]
	for _, t := range stored {
		if ts, ok := fresh[t.CommandID+"\x00"+t.IBAN]; ok {
			streamed = append(streamed, t)
			g.opts.Metrics.StreamLag.Observe(time.Since(ts).Seconds())
		}
	}
	g.hub.Publish(streamed)
	return nil
}
