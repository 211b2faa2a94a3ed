package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"openbank/services/graphql-endpoint/internal/app/client"
	"openbank/services/graphql-endpoint/internal/app/gateway"
	"openbank/services/graphql-endpoint/internal/app/ratelimit"
)

// presentError keeps the errors made for the client (argument, validation
// and limit errors: a *gqlerror.Error wrapping nothing) as they are, and
// replaces any other (database, Kafka, bugs) by a generic message with an
// id; the detail goes to the log under that id.
func presentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var gqlErr *gqlerror.Error
		if errors.As(err, &gqlErr) && gqlErr.Err == nil {
			return withoutEcho(gqlErr)
		}
		path := graphql.GetPath(ctx)
		if gqlErr != nil && gqlErr.Path != nil {
			path = gqlErr.Path
		}
		id := errorID()
		public := &gqlerror.Error{Path: path, Extensions: map[string]any{"request_id": id}}
		switch {
		case errors.Is(err, gateway.ErrUnavailable):
			public.Message = gateway.ErrUnavailable.Error() + " (request id " + id + ")"
			public.Extensions["code"] = "UNAVAILABLE"
			log.Warn("request not served", "request_id", id, "path", path.String(), "error", err)
		case innermost(err).Error() == "introspection disabled": // gqlgen's, a plain error with no sentinel
			public.Message = "introspection is disabled on this port"
			public.Extensions["code"] = "INTROSPECTION_DISABLED"
		case innermost(err).Error() == "must subscribe to exactly one stream": // gqlgen's, if CostLimit missed one
			public.Message = "a subscription selects exactly one field"
			public.Extensions["code"] = "SUBSCRIPTION_FIELDS"
		case errors.Is(err, ratelimit.ErrLimited):
			public.Message = ratelimit.ErrLimited.Error()
			public.Extensions["code"] = "RATE_LIMITED"
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			public.Message = "request ended before it was answered (request id " + id + ")"
			public.Extensions["code"] = "CANCELED"
			log.Debug("request ended", "request_id", id, "path", path.String(), "error", err)
		default:
			public.Message = "internal error (request id " + id + ")"
			public.Extensions["code"] = "INTERNAL_SERVER_ERROR"
			log.Error("internal error", "request_id", id, "path", path.String(), "client", client.From(ctx), "error", err)
		}
		return public
	}
}

// withoutEcho replaces gqlgen's errors about a body it could not read or
// decode: they name sockets and repeat the whole body (a batch, say).
func withoutEcho(e *gqlerror.Error) *gqlerror.Error {
	switch {
	case strings.HasPrefix(e.Message, "json request body could not be decoded"):
		return &gqlerror.Error{Message: "the request body is not one GraphQL request in JSON (batches are not supported)",
			Extensions: map[string]any{"code": "BAD_REQUEST"}}
	case strings.HasPrefix(e.Message, "could not read request body"):
		return &gqlerror.Error{Message: "the request body could not be read",
			Extensions: map[string]any{"code": "BAD_REQUEST"}}
	}
	return e
}

func innermost(err error) error {
	for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(err) {
		err = u
	}
	return err
}

func errorID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
