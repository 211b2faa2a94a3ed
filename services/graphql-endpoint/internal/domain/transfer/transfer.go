// Package transfer checks a money transfer request before anything is sent
// to the command handler.
package transfer

import (
	"fmt"
	"slices"
	"strings"

	"openbank/services/graphql-endpoint/internal/domain/argument"
	"openbank/topology/ident"
)

// Request is the money_transfer arguments as the client sent them.
type Request struct {
	UUID   string
	Token  string
	Amount int64
	From   string
	To     string
	Descr  string
}

// Command is a checked Request: what goes into ConfirmMoneyTransfer.
type Command struct {
	ID     ident.CommandID
	Token  string
	Amount int64
	From   string
	To     string
	Descr  string
}

// Problem is one argument the client has to correct.
type Problem = argument.Problem

// ReasonOwnAccount refuses spending the bank's own account through the API:
// its token is published; only the command generator (on Kafka) spends it.
const ReasonOwnAccount = "the bank's own account cannot be spent through this API"

// InvalidError lists every problem of a request at once.
type InvalidError struct{ Problems []Problem }

func (e *InvalidError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "invalid money transfer: " + strings.Join(parts, "; ")
}

// Check returns the command for r, or an *InvalidError naming every bad argument.
// Bank rules (tokens, balances, ibans) are the command handler's to judge,
// except that the bank's own account cannot be spent from here.
func Check(r Request) (Command, error) {
	uuid := argument.Spec{Argument: "uuid", Value: r.UUID, Max: argument.MaxUUID}
	token := argument.Spec{Argument: "token", Value: r.Token, Max: argument.MaxToken}
	from := argument.Spec{Argument: "from", Value: r.From, Max: argument.MaxCounterParty}
	to := argument.Spec{Argument: "to", Value: r.To, Max: argument.MaxCounterParty}
	descr := argument.Spec{Argument: "descr", Value: r.Descr, Max: argument.MaxDescr}
	problems := argument.Check(&uuid, &token, &from, &to, &descr)
	// From here on the texts are normalised (NFKC).
	r.UUID, r.Token, r.From, r.To, r.Descr = uuid.Value, token.Value, from.Value, to.Value, descr.Value
	var id ident.CommandID
	if !named(problems, "uuid") {
		var err error
		if id, err = ident.ParseCommandID(strings.TrimSpace(r.UUID)); err != nil {
			problems = append(problems, Problem{Argument: "uuid", Message: fmt.Sprintf("%q is not a UUID", r.UUID)})
		}
	}
	if r.Amount <= 0 {
		problems = append(problems, Problem{Argument: "amount", Message: "must be more than 0 (euro cents)"})
	}
	if !named(problems, "from") && OwnAccount(r.From) {
		problems = append(problems, Problem{Argument: "from", Message: ReasonOwnAccount})
	}
	if len(problems) > 0 {
		// In the schema's order of arguments, however they were found.
		slices.SortStableFunc(problems, func(a, b Problem) int {
			return slices.Index(argumentOrder, a.Argument) - slices.Index(argumentOrder, b.Argument)
		})
		return Command{}, &InvalidError{Problems: problems}
	}
	return Command{ID: id, Token: r.Token, Amount: r.Amount, From: r.From, To: r.To, Descr: r.Descr}, nil
}

// OwnAccount says whether from names the bank's own account, however written.
func OwnAccount(from string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(from), ""), ident.OwnIBAN)
}

var argumentOrder = []string{"uuid", "token", "amount", "from", "to", "descr"}

func named(problems []Problem, arg string) bool {
	for _, p := range problems {
		if p.Argument == arg {
			return true
		}
	}
	return false
}

// Result is the command handler's answer to a money transfer.
type Result struct {
	ID      ident.CommandID
	Known   bool // false while the answer is awaited
	Success bool
	Reason  string
}
