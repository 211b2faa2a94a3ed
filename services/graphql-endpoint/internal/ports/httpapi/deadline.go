package httpapi

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// OperationDeadline ends a query or mutation's work after Timeout, over
// WebSocket as over HTTP: its resolvers run with a context that ends then,
// so nothing it started outlives it. Subscriptions are left alone (a stream
// runs as long as its client wants it; the one-shot ones wait for the command
// handler within FEEDBACK_TIMEOUT_MS).
type OperationDeadline struct{ Timeout time.Duration }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = OperationDeadline{}

func (OperationDeadline) ExtensionName() string                   { return "OperationDeadline" }
func (OperationDeadline) Validate(graphql.ExecutableSchema) error { return nil }

func (d OperationDeadline) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	op := graphql.GetOperationContext(ctx)
	if d.Timeout <= 0 || op.Operation == nil || op.Operation.Operation == ast.Subscription {
		return next(ctx)
	}
	// gqlgen runs the answer with the context handed on here.
	ctx, cancel := context.WithTimeout(ctx, d.Timeout)
	answer := next(ctx)
	return func(ctx context.Context) *graphql.Response {
		defer cancel()
		return answer(ctx)
	}
}
