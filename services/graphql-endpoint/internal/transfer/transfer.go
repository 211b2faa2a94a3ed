// Package transfer checks a money transfer request before anything is sent
// to the command handler.
package transfer

import (
	"fmt"
	"strings"

	"openbank/topology/bank"
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
	ID     bank.CommandID
	Token  string
	Amount int64
	From   string
	To     string
	Descr  string
}

// Problem is one argument the client has to correct.
type Problem struct {
	Argument string
	Message  string
}

func (p Problem) String() string { return p.Argument + ": " + p.Message }

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
// Bank rules (tokens, balances, ibans) are the command handler's to judge.
func Check(r Request) (Command, error) {
	var problems []Problem
	id, err := bank.ParseCommandID(strings.TrimSpace(r.UUID))
	if err != nil {
		problems = append(problems, Problem{"uuid", fmt.Sprintf("%q is not a UUID", r.UUID)})
	}
	if r.Amount <= 0 {
		problems = append(problems, Problem{"amount", "must be more than 0 (euro cents)"})
	}
	for _, f := range []struct{ name, value string }{
		{"token", r.Token}, {"from", r.From}, {"to", r.To}, {"descr", r.Descr},
	} {
		if strings.TrimSpace(f.value) == "" {
			problems = append(problems, Problem{f.name, "must not be empty"})
		}
	}
	if len(problems) > 0 {
		return Command{}, &InvalidError{Problems: problems}
	}
	return Command{ID: id, Token: r.Token, Amount: r.Amount, From: r.From, To: r.To, Descr: r.Descr}, nil
}
