package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"openbank/services/graphql-endpoint/internal/app/gateway"
)

func TestPresentErrorHidesInternalDetail(t *testing.T) {
	var logged bytes.Buffer
	present := presentError(slog.New(slog.NewJSONHandler(&logged, nil)))
	ctx := context.Background()

	dbErr := fmt.Errorf("query transactions: %w", fmt.Errorf(`ERROR: invalid byte sequence for encoding "UTF8": 0x00 (SQLSTATE 22021)`))
	got := present(ctx, gqlerror.WrapPath(nil, dbErr))
	id, _ := got.Extensions["request_id"].(string)
	if strings.Contains(got.Message, "SQLSTATE") || got.Extensions["code"] != "INTERNAL_SERVER_ERROR" || id == "" ||
		!strings.Contains(got.Message, id) {
		t.Errorf("presented %+v", got)
	}
	if !strings.Contains(logged.String(), "SQLSTATE 22021") || !strings.Contains(logged.String(), id) {
		t.Errorf("log lacks the detail under the id: %s", logged.String())
	}

	unavailable := present(ctx, fmt.Errorf("send money transfer: %w: %w", gateway.ErrUnavailable, context.DeadlineExceeded))
	if unavailable.Extensions["code"] != "UNAVAILABLE" || !strings.HasPrefix(unavailable.Message, gateway.ErrUnavailable.Error()) {
		t.Errorf("unavailable: %+v", unavailable)
	}

	own := &gqlerror.Error{Message: "descr: at most 200 characters", Extensions: map[string]any{"argument": "descr"}}
	if got := present(ctx, own); got != own {
		t.Errorf("an argument error was changed: %+v", got)
	}
}
