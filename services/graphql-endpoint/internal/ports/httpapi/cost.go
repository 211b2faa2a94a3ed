package httpapi

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// PasswordFields are the root fields that hash or check a password.
var PasswordFields = map[string]bool{"open_account": true, "login": true, "get_account": true}

// CostLimit refuses a document before gqlgen validates it when it has more
// than MaxTokens tokens, more than MaxFields field selections or more than
// MaxDepth levels once its fragments are expanded where they are spread, or
// more than one password operation. Validation (the overlapping-fields check
// above all), gqlgen's complexity calculation and execution all walk the
// expanded document, so nothing after this can cost more than MaxFields
// fields. The query is parsed once more here, bounded by the token limit,
// and measured without expanding (Measure), both linear in its size.
type CostLimit struct {
	MaxTokens int
	MaxFields int
	MaxDepth  int // 0: no limit
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = CostLimit{}

func (CostLimit) ExtensionName() string                   { return "CostLimit" }
func (CostLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (l CostLimit) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: params.Query}, l.MaxTokens)
	if err != nil {
		var gqlErr *gqlerror.Error
		if errors.As(err, &gqlErr) {
			if strings.Contains(gqlErr.Message, "token limit") {
				gqlErr.Extensions = map[string]any{"code": "TOKEN_LIMIT_EXCEEDED"}
			}
			return gqlErr
		}
		return limitError("PARSE_FAILED", "the query cannot be parsed")
	}
	if op := doc.Operations.ForName(params.OperationName); op != nil && op.Operation == ast.Subscription && plainHTTP(ctx) {
		// Over plain HTTP a stream would hold the request until its first event.
		return limitError("SUBSCRIPTION_NEEDS_WEBSOCKET", "subscriptions are served over WebSocket only (/graphql-ws)")
	}
	c, err := Measure(ctx, doc, l.MaxFields)
	switch {
	case errors.Is(err, ErrFragmentCycle):
		return limitError("FRAGMENT_CYCLE", err.Error())
	case err != nil:
		return limitError("CANCELED", "request ended before it was measured")
	case c.Fields > l.MaxFields:
		return limitError("FIELD_LIMIT_EXCEEDED",
			fmt.Sprintf("query has more than %d fields once its fragments are expanded", l.MaxFields))
	case l.MaxDepth > 0 && c.Depth > l.MaxDepth:
		return limitError("DEPTH_LIMIT_EXCEEDED",
			fmt.Sprintf("operation is nested too deeply: depth %d, at most %d", c.Depth, l.MaxDepth))
	case c.SubscriptionRoots > 1:
		// gqlparser lets aliases of one field through; gqlgen would fail the operation.
		return limitError("SUBSCRIPTION_FIELDS",
			fmt.Sprintf("a subscription selects exactly one field, got %d (aliases included)", c.SubscriptionRoots))
	case c.Password > 1:
		// Each costs an argon2id hash (tens of ms of CPU and ~19 MiB).
		return limitError("PASSWORD_OPERATIONS_LIMIT",
			fmt.Sprintf("at most one of open_account, login and get_account per request, got %d", c.Password))
	}
	return nil
}

func limitError(code, message string) *gqlerror.Error {
	return &gqlerror.Error{Message: message, Extensions: map[string]any{"code": code}}
}
