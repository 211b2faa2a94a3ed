package graph

import (
	"context"
	"errors"
	"fmt"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"openbank/services/graphql-endpoint/internal/app/fanout"
	"openbank/services/graphql-endpoint/internal/app/gateway"
	"openbank/services/graphql-endpoint/internal/domain/argument"
	"openbank/services/graphql-endpoint/internal/domain/transaction"
	"openbank/services/graphql-endpoint/internal/domain/transfer"
	"openbank/services/graphql-endpoint/internal/metrics"
	"openbank/services/graphql-endpoint/internal/ports/graph/generated"
	"openbank/services/graphql-endpoint/internal/ports/graph/model"
)

// Transactions answers the queries from transactiondb (store.Store).
type Transactions interface {
	TransactionByID(ctx context.Context, id int64) (t transaction.Transaction, ok bool, err error)
	TransactionsByIBAN(ctx context.Context, iban string, max int) ([]transaction.Transaction, error)
	LastTransactions(ctx context.Context, limit int) ([]transaction.Transaction, error)
}

// Commands sends the bank's commands and waits for their answers (gateway.Gateway).
type Commands interface {
	GetAccount(ctx context.Context, username, password string, mode gateway.Mode) (gateway.AccountResult, error)
	MoneyTransfer(ctx context.Context, cmd transfer.Command) (gateway.TransferResult, error)
}

// Resolver answers the schema's fields: queries from Transactions, commands
// through Commands; streams come from Hub (which the gateway publishes to).
type Resolver struct {
	Transactions Transactions
	Commands     Commands
	Hub          *fanout.Hub[*model.Transaction]
	// Metrics count the running subscriptions; nil: nowhere.
	Metrics *metrics.Metrics
	// MaxLastTransactions bounds all_last_transactions (ibans answered);
	// 0 means DefaultMaxLastTransactions.
	MaxLastTransactions int
}

// DefaultMaxLastTransactions is all_last_transactions' bound unless set.
const DefaultMaxLastTransactions = 1000

// NewHub returns the hub streams subscribe to: each transaction is shown
// once, and the same value goes to every subscriber; m counts them (nil: nowhere).
func NewHub(m *metrics.Metrics) *fanout.Hub[*model.Transaction] { return fanout.NewHub(ToModel, m) }

var _ generated.ResolverRoot = (*Resolver)(nil)

// NewSchema returns the executable schema with r as its resolvers. A list's
// complexity is its most items times its element's, so the complexity limit
// bounds the rows a request can ask for (gqlgen counts 1 per field).
func NewSchema(r *Resolver) generated.Config {
	if r.Metrics == nil {
		r.Metrics = metrics.New(nil)
	}
	c := generated.Config{Resolvers: r}
	c.Complexity.Query.TransactionsByIban = func(child int, _ string, maxItems int64) int {
		return 1 + child*int(min(max(maxItems, 1), transaction.MaxItemsLimit))
	}
	c.Complexity.Query.AllLastTransactions = func(child int) int { return 1 + child*r.maxLast() }
	return c
}

func (r *Resolver) maxLast() int {
	if r.MaxLastTransactions > 0 {
		return r.MaxLastTransactions
	}
	return DefaultMaxLastTransactions
}

func (r *Resolver) Query() generated.QueryResolver               { return queryResolver{r} }
func (r *Resolver) Mutation() generated.MutationResolver         { return mutationResolver{r} }
func (r *Resolver) Subscription() generated.SubscriptionResolver { return subscriptionResolver{r} }

type queryResolver struct{ *Resolver }
type mutationResolver struct{ *Resolver }
type subscriptionResolver struct{ *Resolver }

// ----------------------------------------------------------------- errors

// argumentError is a GraphQL error naming the argument to correct.
func argumentError(argument, message string) *gqlerror.Error {
	return &gqlerror.Error{
		Message:    fmt.Sprintf("%s: %s", argument, message),
		Extensions: map[string]any{"code": "BAD_USER_INPUT", "argument": argument},
	}
}

// checkText refuses text arguments that are too long, blank (unless
// EmptyOK), not UTF-8 or hold control, format or separator characters, one
// error per argument; those that pass are normalised (NFKC) in place.
func checkText(specs ...*argument.Spec) error {
	problems := argument.Check(specs...)
	if len(problems) == 0 {
		return nil
	}
	list := make(gqlerror.List, len(problems))
	for i, p := range problems {
		list[i] = argumentError(p.Argument, p.Message)
	}
	return list
}

// ----------------------------------------------------------------- models

// ToModel shows a transaction as the API does.
func ToModel(t transaction.Transaction) *model.Transaction {
	newBalance := transaction.FormatEuro(t.NewBalance)
	changedBy := transaction.FormatEuro(transaction.Abs(t.ChangedBy))
	dir := model.Dtype(t.Direction())
	return &model.Transaction{
		ID: t.ID, Iban: &t.IBAN, NewBalance: &newBalance, ChangedBy: &changedBy,
		FromTo: &t.FromTo, Descr: &t.Descr, Direction: &dir,
	}
}

func toModels(txs []transaction.Transaction) []*model.Transaction {
	out := make([]*model.Transaction, len(txs))
	for i, t := range txs {
		out[i] = ToModel(t)
	}
	return out
}

func accountModel(a gateway.AccountResult) *model.AccountResult {
	m := &model.AccountResult{}
	if a.Reason != "" {
		m.Reason = &a.Reason
	} else {
		m.Iban, m.Token = &a.IBAN, &a.Token
	}
	return m
}

func transferModel(uuid string, t gateway.TransferResult) *model.MoneyTransferResult {
	m := &model.MoneyTransferResult{UUID: &uuid, Success: &t.Success}
	if t.Reason != "" {
		m.Reason = &t.Reason
	}
	return m
}

// ---------------------------------------------------------------- queries

func (r queryResolver) TransactionByID(ctx context.Context, id int64) (*model.Transaction, error) {
	t, ok, err := r.Transactions.TransactionByID(ctx, id)
	if err != nil || !ok {
		return nil, err
	}
	return ToModel(t), nil
}

// CheckMaxItems bounds transactions_by_iban's max_items.
func CheckMaxItems(maxItems int64) error {
	if maxItems < 1 || maxItems > transaction.MaxItemsLimit {
		return argumentError("max_items", fmt.Sprintf("must be from 1 to %d, got %d", transaction.MaxItemsLimit, maxItems))
	}
	return nil
}

func (r queryResolver) TransactionsByIban(ctx context.Context, iban string, maxItems int64) ([]*model.Transaction, error) {
	spec := argument.Spec{Argument: "iban", Value: iban, Max: argument.MaxIBAN}
	if err := checkText(&spec); err != nil {
		return nil, err
	}
	iban = spec.Value
	if err := CheckMaxItems(maxItems); err != nil {
		return nil, err
	}
	txs, err := r.Transactions.TransactionsByIBAN(ctx, iban, int(maxItems))
	if err != nil {
		return nil, err
	}
	return toModels(txs), nil
}

func (r queryResolver) AllLastTransactions(ctx context.Context) ([]*model.Transaction, error) {
	txs, err := r.Transactions.LastTransactions(ctx, r.maxLast())
	if err != nil {
		return nil, err
	}
	return toModels(txs), nil
}

// -------------------------------------------------------------- accounts

func (r *Resolver) getAccount(ctx context.Context, username, password string, mode gateway.Mode) (*model.AccountResult, error) {
	user := argument.Spec{Argument: "username", Value: username, Max: argument.MaxUsername}
	pass := argument.Spec{Argument: "password", Value: password, Max: argument.MaxPassword, Secret: true}
	if err := checkText(&user, &pass); err != nil {
		return nil, err
	}
	res, err := r.Commands.GetAccount(ctx, user.Value, pass.Value, mode)
	if errors.Is(err, gateway.ErrPasswordTooShort) {
		return nil, argumentError("password", err.Error())
	}
	if err != nil {
		return nil, err
	}
	return accountModel(res), nil
}

func (r mutationResolver) OpenAccount(ctx context.Context, username, password string) (*model.AccountResult, error) {
	return r.getAccount(ctx, username, password, gateway.Open)
}

func (r mutationResolver) Login(ctx context.Context, username, password string) (*model.AccountResult, error) {
	return r.getAccount(ctx, username, password, gateway.Login)
}

func (r subscriptionResolver) GetAccount(ctx context.Context, username, password string) (<-chan *model.AccountResult, error) {
	// The work is done here, before the channel is returned: this runs in the
	// subscription's own goroutine, and errors become GraphQL errors.
	defer r.track("get_account")()
	res, err := r.getAccount(ctx, username, password, gateway.OpenOrLogin)
	if err != nil {
		return nil, err
	}
	return once(res), nil
}

// --------------------------------------------------------- money transfer

// CheckTransfer validates money_transfer's arguments into a command, or
// returns one GraphQL error per bad argument.
func CheckTransfer(uuid string, token string, amount int64, from, to, descr string) (transfer.Command, error) {
	cmd, err := transfer.Check(transfer.Request{UUID: uuid, Token: token, Amount: amount, From: from, To: to, Descr: descr})
	var invalid *transfer.InvalidError
	if errors.As(err, &invalid) {
		list := make(gqlerror.List, len(invalid.Problems))
		for i, p := range invalid.Problems {
			list[i] = argumentError(p.Argument, p.Message)
		}
		return cmd, list
	}
	return cmd, err
}

func (r *Resolver) moneyTransfer(ctx context.Context, uuid, token string, amount int64, from, to, descr string) (*model.MoneyTransferResult, error) {
	cmd, err := CheckTransfer(uuid, token, amount, from, to, descr)
	if err != nil {
		return nil, err
	}
	res, err := r.Commands.MoneyTransfer(ctx, cmd)
	if err != nil {
		return nil, err
	}
	return transferModel(uuid, res), nil
}

func (r mutationResolver) MoneyTransfer(ctx context.Context, uuid string, _ *string, token string, amount int64, from, to, descr string) (*model.MoneyTransferResult, error) {
	return r.moneyTransfer(ctx, uuid, token, amount, from, to, descr)
}

func (r subscriptionResolver) MoneyTransfer(ctx context.Context, uuid string, _ *string, token string, amount int64, from, to, descr string) (<-chan *model.MoneyTransferResult, error) {
	defer r.track("money_transfer")()
	res, err := r.moneyTransfer(ctx, uuid, token, amount, from, to, descr)
	if err != nil {
		return nil, err
	}
	return once(res), nil
}

// ---------------------------------------------------------------- streams

// StreamFilter turns stream_transactions' arguments into a filter.
func StreamFilter(iban *string, minAmount, maxAmount *int64, direction *model.Dtype, descrIncludes *string) transaction.Filter {
	f := transaction.Filter{IBAN: iban, MinAmount: minAmount, MaxAmount: maxAmount, DescrIncludes: descrIncludes}
	if direction != nil {
		d := transaction.Direction(*direction)
		f.Direction = &d
	}
	return f
}

// CheckStreamFilter bounds stream_transactions' text arguments and
// normalises them (NFKC) in place.
func CheckStreamFilter(iban, descrIncludes *string) error {
	var specs []*argument.Spec
	var targets []*string
	if iban != nil {
		specs = append(specs, &argument.Spec{Argument: "iban", Value: *iban, Max: argument.MaxIBAN})
		targets = append(targets, iban)
	}
	if descrIncludes != nil {
		specs = append(specs, &argument.Spec{Argument: "descr_includes", Value: *descrIncludes, Max: argument.MaxDescrIncludes, EmptyOK: true})
		targets = append(targets, descrIncludes)
	}
	if err := checkText(specs...); err != nil {
		return err
	}
	for i, s := range specs {
		*targets[i] = s.Value
	}
	return nil
}

func (r subscriptionResolver) StreamTransactions(ctx context.Context, iban *string, minAmount, maxAmount *int64, direction *model.Dtype, descrIncludes *string) (<-chan *model.Transaction, error) {
	if err := CheckStreamFilter(iban, descrIncludes); err != nil {
		return nil, err
	}
	sub := r.Hub.Subscribe(StreamFilter(iban, minAmount, maxAmount, direction, descrIncludes))
	done := r.track("stream_transactions")
	// No goroutine of our own: gqlgen reads the channel, and the subscription
	// is closed when its context ends (the client stopped or went away). A
	// subscriber that falls too far behind gets its channel closed by the hub.
	context.AfterFunc(ctx, func() {
		sub.Close()
		done()
	})
	return sub.C(), nil
}

// once is a channel with one value, then closed: the subscription completes.
func once[T any](v T) <-chan T {
	ch := make(chan T, 1)
	ch <- v
	close(ch)
	return ch
}

// track counts a running subscription; call the result when it ends.
func (r *Resolver) track(field string) func() {
	g := r.Metrics.SubscriptionsOpen.With(field)
	g.Inc()
	return g.Dec
}
