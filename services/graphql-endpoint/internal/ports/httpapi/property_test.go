package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"openbank/services/graphql-endpoint/internal/app/gateway"
	"openbank/services/graphql-endpoint/internal/domain/transaction"
	"openbank/services/graphql-endpoint/internal/domain/transfer"
	"openbank/services/graphql-endpoint/internal/ports/graph"
	"openbank/services/graphql-endpoint/internal/ports/graph/generated"
	"openbank/services/graphql-endpoint/internal/ports/httpapi"
)

// workCounter counts the fields execution resolves: the work after the
// limits, in steps rather than time.
type workCounter struct{ fields atomic.Int64 }

func (*workCounter) ExtensionName() string                   { return "workCounter" }
func (*workCounter) Validate(graphql.ExecutableSchema) error { return nil }
func (w *workCounter) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	w.fields.Add(1)
	return next(ctx)
}

// fakeBank answers without a database or Kafka, counting password operations.
type fakeBank struct{ passwords atomic.Int64 }

const fakeRows = 2

func (*fakeBank) TransactionByID(context.Context, int64) (transaction.Transaction, bool, error) {
	return transaction.Transaction{ID: 1}, true, nil
}
func (*fakeBank) TransactionsByIBAN(context.Context, string, int) ([]transaction.Transaction, error) {
	return make([]transaction.Transaction, fakeRows), nil
}
func (*fakeBank) LastTransactions(context.Context, int) ([]transaction.Transaction, error) {
	return make([]transaction.Transaction, fakeRows), nil
}
func (b *fakeBank) GetAccount(context.Context, string, string, gateway.Mode) (gateway.AccountResult, error) {
	b.passwords.Add(1)
	return gateway.AccountResult{Reason: gateway.ReasonIncorrectLogin}, nil
}
func (*fakeBank) MoneyTransfer(context.Context, transfer.Command) (gateway.TransferResult, error) {
	return gateway.TransferResult{Success: true}, nil
}

// adversary writes documents meant to cost much: fragment DAGs whose
// fragments each spread the next ones several times, nested inline
// fragments, aliases, directives, password fields hidden in all of these.
type adversary struct{ r *rand.Rand }

func (a adversary) wrap(s string) string {
	for range a.r.IntN(14) {
		switch a.r.IntN(3) {
		case 0:
			s = "... { " + s + " }"
		case 1:
			s = "... @include(if: true) { " + s + " }"
		default:
			s = "... @skip(if: false) { " + s + " }"
		}
	}
	return s
}

func (a adversary) fields(n int) string {
	names := []string{"id", "iban", "descr", "new_balance", "direction"}
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "f%d_%d: %s ", a.r.IntN(1000), i, names[a.r.IntN(len(names))])
	}
	return b.String()
}

// document is one adversarial query: a chain of levels fragments on type,
// each spreading the next fan times (a DAG of fan^levels expansions).
func (a adversary) document() string {
	levels, fan := 1+a.r.IntN(45), 1+a.r.IntN(4)
	password := a.r.IntN(3) == 0
	onType, root := "Transaction", "query { "+a.wrap("all_last_transactions { ...F0 }")+" }"
	if password {
		onType, root = "Mutation", "mutation { "+a.wrap("...F0")+" }"
	}
	var q strings.Builder
	q.WriteString(root + "\n")
	for i := range levels {
		fmt.Fprintf(&q, "fragment F%d on %s { ", i, onType)
		for j := range fan {
			if password {
				fmt.Fprintf(&q, "%s ", a.wrap(fmt.Sprintf("...F%d", i+1)))
			} else {
				fmt.Fprintf(&q, "%s %s ", a.wrap(fmt.Sprintf("...F%d", i+1)), a.fields(j%2))
			}
		}
		q.WriteString("}\n")
	}
	if password {
		fmt.Fprintf(&q, "fragment F%d on Mutation { %s }\n", levels,
			a.wrap(fmt.Sprintf(`l%d: login(username: "u", password: "p") { reason }`, a.r.IntN(9))))
	} else {
		fmt.Fprintf(&q, "fragment F%d on Transaction { %s }\n", levels, a.fields(1+a.r.IntN(3)))
	}
	return q.String()
}

// selections counts a document's selections as written: the most steps
// Measure may take.
func selections(doc *ast.QueryDocument) int {
	var count func(ast.SelectionSet) int
	count = func(set ast.SelectionSet) int {
		n := len(set)
		for _, s := range set {
			switch s := s.(type) {
			case *ast.Field:
				n += count(s.SelectionSet)
			case *ast.InlineFragment:
				n += count(s.SelectionSet)
			}
		}
		return n
	}
	n := 0
	for _, op := range doc.Operations {
		n += count(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		n += count(f.SelectionSet)
	}
	return n
}

// TestAdversarialDocumentsAreBounded: every generated document is refused
// or answered, and the work counted never exceeds what its text allows
// (measuring: one step per selection written) plus what the limits allow
// (execution: at most MaxFields fields per row of a list, at most one
// password operation). A fixed seed: the same documents every run.
func TestAdversarialDocumentsAreBounded(t *testing.T) {
	limits := defaults()
	bank, work := &fakeBank{}, &workCounter{}
	schema := generated.NewExecutableSchema(graph.NewSchema(&graph.Resolver{
		Transactions: bank, Commands: bank, Hub: graph.NewHub(nil), MaxLastTransactions: fakeRows}))
	h := httpapi.GraphQL(schema, httpapi.Config{Limits: limits, Log: slog.New(slog.DiscardHandler),
		Extensions: []graphql.HandlerExtension{work}})
	gen := adversary{rand.New(rand.NewPCG(31, 2026))}
	var refused, answered int
	for i := range 400 {
		q := gen.document()
		work.fields.Store(0)
		bank.passwords.Store(0)
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body(q)))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var r response
		decode(t, rec.Body.Bytes(), &r)

		doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: q}, limits.MaxTokens)
		if err != nil {
			if !hasCode(r, "TOKEN_LIMIT_EXCEEDED") {
				t.Fatalf("doc %d over the token limit answered: %+v", i, r.Errors)
			}
			refused++
			continue
		}
		c, _ := httpapi.Measure(context.Background(), doc, limits.MaxFields)
		if c.Steps > selections(doc) {
			t.Errorf("doc %d: %d measuring steps for %d selections written", i, c.Steps, selections(doc))
		}
		if n := work.fields.Load(); n > int64(limits.MaxFields*fakeRows) {
			t.Errorf("doc %d: %d fields resolved, more than %d × %d rows", i, n, limits.MaxFields, fakeRows)
		}
		if n := bank.passwords.Load(); n > 1 {
			t.Errorf("doc %d: %d password operations in one request", i, n)
		}
		// Exact, not merely bounded: the naive expansion agrees with the verdict.
		expanded := naiveFields(doc, limits.MaxFields+1)
		switch {
		case expanded > limits.MaxFields:
			if !hasCode(r, "FIELD_LIMIT_EXCEEDED") {
				t.Errorf("doc %d: %d+ fields expanded, not refused: %+v", i, expanded, r.Errors)
			}
			refused++
		case len(r.Errors) > 0:
			refused++ // depth, complexity, password count: bounded answers too
			for _, e := range r.Errors {
				if e.Extensions["code"] == "INTERNAL_SERVER_ERROR" {
					t.Errorf("doc %d: internal error %+v", i, e)
				}
			}
		default:
			answered++
		}
	}
	t.Logf("400 documents: %d refused, %d answered", refused, answered)
	if answered == 0 || refused == 0 {
		t.Errorf("the generator should make both kinds: %d refused, %d answered", refused, answered)
	}
}

// naiveFields expands every spread, as the walks after validation do, but
// stops counting at limit.
func naiveFields(doc *ast.QueryDocument, limit int) int {
	n := 0
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, s := range set {
			if n >= limit {
				return
			}
			switch s := s.(type) {
			case *ast.Field:
				n++
				walk(s.SelectionSet)
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				if f := doc.Fragments.ForName(s.Name); f != nil {
					walk(f.SelectionSet)
				}
			}
		}
	}
	for _, op := range doc.Operations {
		walk(op.SelectionSet)
	}
	return n
}

func decode(t *testing.T, b []byte, r *response) {
	t.Helper()
	if err := json.Unmarshal(b, r); err != nil {
		t.Fatalf("answer %.200s: %v", b, err)
	}
}
