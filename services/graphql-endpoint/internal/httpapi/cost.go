package httpapi

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// FieldLimit refuses a query of more than MaxTokens tokens or MaxFields
// field selections before gqlgen validates it: validation (the
// overlapping-fields check above all) costs the square of the fields, the
// complexity limit only runs after it. The query is parsed once more here,
// bounded by the token limit, which is cheap beside validation.
type FieldLimit struct {
	MaxTokens int
	MaxFields int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = FieldLimit{}

func (FieldLimit) ExtensionName() string                   { return "FieldLimit" }
func (FieldLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (l FieldLimit) MutateOperationParameters(_ context.Context, params *graphql.RawParams) *gqlerror.Error {
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: params.Query}, l.MaxTokens)
	if err != nil {
		if gqlErr, ok := err.(*gqlerror.Error); ok {
			if strings.Contains(gqlErr.Message, "token limit") {
				gqlErr.Extensions = map[string]any{"code": "TOKEN_LIMIT_EXCEEDED"}
			}
			return gqlErr
		}
		return gqlerror.Errorf("parse query: %v", err)
	}
	if n := CountFields(doc); l.MaxFields > 0 && n > l.MaxFields {
		return &gqlerror.Error{
			Message:    fmt.Sprintf("query has %d fields, at most %d", n, l.MaxFields),
			Extensions: map[string]any{"code": "FIELD_LIMIT_EXCEEDED"},
		}
	}
	return nil
}

// CountFields is how many field selections doc writes down (fragments
// counted where they are defined, as validation sees them).
func CountFields(doc *ast.QueryDocument) int {
	n := 0
	for _, op := range doc.Operations {
		n += countFields(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		n += countFields(f.SelectionSet)
	}
	return n
}

func countFields(set ast.SelectionSet) int {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			n += 1 + countFields(s.SelectionSet)
		case *ast.InlineFragment:
			n += countFields(s.SelectionSet)
		}
	}
	return n
}

// PasswordFields are the root fields that hash or check a password.
var PasswordFields = map[string]bool{"open_account": true, "login": true, "get_account": true}

// PasswordLimit allows one password operation per request (each costs an
// argon2id hash: tens of ms of CPU and ~19 MiB) and, per client, at most
// Limiter's rate of them.
type PasswordLimit struct {
	Limiter *RateLimiter // nil: no rate limit
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = PasswordLimit{}

func (PasswordLimit) ExtensionName() string                   { return "PasswordLimit" }
func (PasswordLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (l PasswordLimit) MutateOperationContext(ctx context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if op.Operation == nil {
		return nil
	}
	n := countRootFields(op.Operation.SelectionSet, op.Doc.Fragments, PasswordFields, 0)
	if n > 1 {
		return &gqlerror.Error{
			Message:    fmt.Sprintf("at most one of open_account, login and get_account per request, got %d", n),
			Extensions: map[string]any{"code": "PASSWORD_OPERATIONS_LIMIT"},
		}
	}
	if n == 1 && l.Limiter != nil && !l.Limiter.Allow(ClientFrom(ctx)) {
		return &gqlerror.Error{
			Message:    "too many logins and account openings from this client; try again later",
			Extensions: map[string]any{"code": "RATE_LIMITED"},
		}
	}
	return nil
}

// countRootFields counts the selections of set named in names, through
// fragments (validation has ruled out cycles; depth guards anyway).
func countRootFields(set ast.SelectionSet, fragments ast.FragmentDefinitionList, names map[string]bool, depth int) int {
	if depth > 10 {
		return 0
	}
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if names[s.Name] {
				n++
			}
		case *ast.InlineFragment:
			n += countRootFields(s.SelectionSet, fragments, names, depth+1)
		case *ast.FragmentSpread:
			if f := fragments.ForName(s.Name); f != nil {
				n += countRootFields(f.SelectionSet, fragments, names, depth+1)
			}
		}
	}
	return n
}
