package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"openbank/services/graphql-endpoint/internal/ports/httpapi"
)

func parse(t *testing.T, q string) *ast.QueryDocument {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		t.Fatalf("parse %.60q: %v", q, err)
	}
	return doc
}

// fragmentBomb is the attack: levels fragments that each spread
// the next one twice (2^levels fields expanded) in about 60 bytes a level.
func fragmentBomb(levels int) string {
	var q strings.Builder
	q.WriteString("query { all_last_transactions { ...F0 } }\n")
	for i := range levels {
		fmt.Fprintf(&q, "fragment F%d on Transaction { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&q, "fragment F%d on Transaction { id }\n", levels)
	return q.String()
}

// TestMeasureFragmentBomb: 2^40 expanded fields are counted in a few steps
// per fragment, not walked.
func TestMeasureFragmentBomb(t *testing.T) {
	doc := parse(t, fragmentBomb(40))
	c, err := httpapi.Measure(context.Background(), doc, 300)
	if err != nil || c.Fields != 301 {
		t.Fatalf("cost %+v, %v; want fields stopped at 301", c, err)
	}
	if c.Steps > 3*41 {
		t.Errorf("%d steps for 41 fragments of at most 2 selections", c.Steps)
	}
	// Under the limit the count is exact: 2^7 ids plus the list field.
	if c, _ := httpapi.Measure(context.Background(), parse(t, fragmentBomb(7)), 300); c.Fields != 129 || c.Depth != 2 {
		t.Errorf("7 levels: %+v, want 129 fields, depth 2", c)
	}
}

func TestMeasureCountsWhereFragmentsExpand(t *testing.T) {
	for _, c := range []struct {
		query                  string
		fields, depth, passwds int
	}{
		{`{ a: all_last_transactions { id } b: all_last_transactions { id } }`, 4, 2, 0},
		{`{ ...Q ...Q } fragment Q on Query { all_last_transactions { ...T } } fragment T on Transaction { id iban }`, 6, 2, 0},
		{`mutation { ... { ... { ... { ... { ... { ... { ... { ... { ... { ... { ... { login(username: "u", password: "p") { reason } } } } } } } } } } } } }`, 2, 2, 1},
		{`mutation { ...L a: login(username: "u", password: "p") { reason } } fragment L on Mutation { ... @include(if: true) { x: open_account(username: "u", password: "p") { iban } } }`, 4, 2, 2},
		{`subscription { ...G ...G } fragment G on Subscription { get_account(username: "u", password: "p") { iban } }`, 4, 2, 2},
		// A field named login below the root is not a password operation.
		{`{ all_last_transactions { login: id } }`, 2, 2, 0},
		{`{ __schema { types { fields { name } } } }`, 4, 0, 0},
	} {
		got, err := httpapi.Measure(context.Background(), parse(t, c.query), 1000)
		if err != nil || got.Fields != c.fields || got.Depth != c.depth || got.Password != c.passwds {
			t.Errorf("%.70s: %+v %v; want fields %d depth %d password %d", c.query, got, err, c.fields, c.depth, c.passwds)
		}
	}
}

func TestMeasureRefusesCycles(t *testing.T) {
	doc := parse(t, `{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }`)
	if _, err := httpapi.Measure(context.Background(), doc, 1000); !errors.Is(err, httpapi.ErrFragmentCycle) {
		t.Errorf("A → B → A: %v", err)
	}
}

// TestGraphiQLIntrospectionPasses: GraphiQL's own query fits the default limits.
func TestGraphiQLIntrospectionPasses(t *testing.T) {
	srv, _ := server(t, defaults())
	if _, r := post(t, srv.URL, body(introspectionQuery)); len(r.Errors) > 0 {
		t.Errorf("GraphiQL's introspection query: %+v", r.Errors)
	}
}

// TestFragmentBombRefusedOverHTTP: the 2 KB query that burned a core
// for days is refused before validation.
func TestFragmentBombRefusedOverHTTP(t *testing.T) {
	srv, _ := server(t, defaults())
	q := fragmentBomb(40)
	if _, r := post(t, srv.URL, body(q)); !hasCode(r, "FIELD_LIMIT_EXCEEDED") {
		t.Errorf("%d bytes, 2^40 fields: %+v", len(q), r.Errors)
	}
	nested := `mutation { ` + strings.Repeat("... { ", 11) + strings.Repeat(`a%d: login(username: "u", password: "p") { reason } `, 1) +
		`b: login(username: "u", password: "p") { reason }` + strings.Repeat(" }", 11) + ` }`
	if _, r := post(t, srv.URL, body(strings.Replace(nested, "%d", "1", 1))); !hasCode(r, "PASSWORD_OPERATIONS_LIMIT") {
		t.Errorf("two logins in 11 nested inline fragments: %+v", r.Errors)
	}
}
