package httpapi_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"openbank/services/graphql-endpoint/internal/app/gateway"
	"openbank/services/graphql-endpoint/internal/ports/graph"
	"openbank/services/graphql-endpoint/internal/ports/graph/generated"
	"openbank/services/graphql-endpoint/internal/ports/httpapi"
)

func body(query string) string {
	b, _ := json.Marshal(map[string]string{"query": query})
	return string(b)
}

func hasCode(r response, code string) bool {
	for _, e := range r.Errors {
		if e.Extensions["code"] == code {
			return true
		}
	}
	return false
}

// TestTokenAndFieldLimits: a query too big to validate cheaply is refused
// before validation (60 KB of repeated fields cost ~19 s of CPU without).
func TestTokenAndFieldLimits(t *testing.T) {
	l := defaults()
	l.MaxRequestBytes = 1 << 20
	srv, _ := server(t, l)
	huge := "{ all_last_transactions { " + strings.Repeat("id ", 20_000) + "} }"
	if _, r := post(t, srv.URL, body(huge)); !hasCode(r, "TOKEN_LIMIT_EXCEEDED") {
		t.Errorf("60 KB of fields: %+v", r.Errors)
	}
	// Under the token limit, over the field limit.
	many := "{ all_last_transactions { " + strings.Repeat("id ", 400) + "} }"
	if _, r := post(t, srv.URL, body(many)); !hasCode(r, "FIELD_LIMIT_EXCEEDED") {
		t.Errorf("400 fields: %+v", r.Errors)
	}
}

// TestComplexityScalesWithMaxItems: what a list may return counts, so 25
// aliases of 1,000 transactions are refused.
func TestComplexityScalesWithMaxItems(t *testing.T) {
	srv, _ := server(t, defaults())
	var q strings.Builder
	q.WriteString("{")
	for i := range 25 {
		fmt.Fprintf(&q, ` a%d: transactions_by_iban(iban: "NL66OPEN0000000000", max_items: 1000) { id iban descr }`, i)
	}
	q.WriteString("}")
	if _, r := post(t, srv.URL, body(q.String())); !hasCode(r, "COMPLEXITY_LIMIT_EXCEEDED") {
		t.Errorf("25 × 1000 items: %+v", r.Errors)
	}
	if _, r := post(t, srv.URL, body(`{ a: all_last_transactions { ...F } b: all_last_transactions { ...F } }
		fragment F on Transaction { id iban new_balance changed_by from_to descr direction }`)); !hasCode(r, "COMPLEXITY_LIMIT_EXCEEDED") {
		t.Errorf("all_last_transactions twice: %+v", r.Errors)
	}
}

// TestOnePasswordOperationPerRequest: aliases cannot multiply argon2id hashes.
func TestOnePasswordOperationPerRequest(t *testing.T) {
	srv, _ := server(t, defaults())
	var q strings.Builder
	q.WriteString("mutation {")
	for i := range 100 {
		fmt.Fprintf(&q, ` a%d: login(username: "someone", password: "secret") { reason }`, i)
	}
	q.WriteString("}")
	if _, r := post(t, srv.URL, body(q.String())); !hasCode(r, "PASSWORD_OPERATIONS_LIMIT") {
		t.Errorf("100 logins: %+v", r.Errors)
	}
	frag := `mutation { ...A ...B } fragment A on Mutation { login(username: "a", password: "b") { reason } }
		fragment B on Mutation { x: open_account(username: "a", password: "b") { reason } }`
	if _, r := post(t, srv.URL, body(frag)); !hasCode(r, "PASSWORD_OPERATIONS_LIMIT") {
		t.Errorf("two through fragments: %+v", r.Errors)
	}
}

// BenchmarkAttackQueries: what the 60 KB query of repeated fields costs now
// (refused at the token limit), and the most a query under the limits costs
// to validate (200 fields of one name: the overlapping-fields check's worst).
func BenchmarkAttackQueries(b *testing.B) {
	for name, q := range map[string]string{
		"60KB-refused":      "{ all_last_transactions { " + strings.Repeat("id ", 20_000) + "} }",
		"200-fields-at-max": "{ all_last_transactions { " + strings.Repeat("id ", 199) + "} }",
	} {
		b.Run(name, func(b *testing.B) {
			l := defaults()
			l.MaxRequestBytes = 1 << 20
			l.MaxComplexity = 10 // refused after validation: nothing runs
			hub := graph.NewHub(nil)
			gw := gateway.New(nil, nil, hub, gateway.Options{}, slog.New(slog.DiscardHandler))
			schema := generated.NewExecutableSchema(graph.NewSchema(&graph.Resolver{Commands: gw, Hub: hub, MaxLastTransactions: 1}))
			h := httpapi.GraphQL(schema, httpapi.Config{Limits: l, Log: slog.New(slog.DiscardHandler), CORSOrigins: []string{"*"}})
			req := body(q)
			b.ResetTimer()
			for i := range b.N {
				// A different query text each time, so the query cache does not answer.
				r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(strings.Replace(req, "{ all", fmt.Sprintf("query Q%d { all", i), 1)))
				r.Header.Set("Content-Type", "application/json")
				h.ServeHTTP(httptest.NewRecorder(), r)
			}
		})
	}
}
