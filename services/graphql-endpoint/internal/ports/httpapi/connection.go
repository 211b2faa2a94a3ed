package httpapi

import (
	"context"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
)

// wsConn is one WebSocket connection's bookkeeping: how many operations
// (subscriptions, queries, mutations) run on it, and the timer that closes it
// after a while without any. Both sub-protocols call the same InitFunc.
type wsConn struct {
	mu     sync.Mutex
	active int
	idle   *time.Timer
	wait   time.Duration
	close  context.CancelFunc
}

type wsConnKey struct{}

// wsInit is the transport's InitFunc: the connection's context gets its own
// cancel (closing the socket) and an idle timer.
func wsInit(idle time.Duration) transport.WebsocketInitFunc {
	return func(ctx context.Context, _ transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		ctx, cancel := context.WithCancel(ctx)
		c := &wsConn{close: cancel, wait: idle}
		if idle > 0 {
			c.idle = time.AfterFunc(idle, cancel)
			// Stop the timer with the connection so nothing outlives it.
			context.AfterFunc(ctx, func() { c.idle.Stop() })
		}
		return context.WithValue(ctx, wsConnKey{}, c), nil, nil
	}
}

// start counts a new operation; false when the connection has max already.
func (c *wsConn) start(max int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if max > 0 && c.active >= max {
		return false
	}
	c.active++
	if c.idle != nil {
		c.idle.Stop()
	}
	return true
}

func (c *wsConn) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.active--
	if c.active == 0 && c.idle != nil {
		c.idle.Reset(c.wait)
	}
}

// SubscriptionLimit caps the operations running on one WebSocket connection
// (a query or mutation counts while it runs, as a subscription does) and
// keeps the connection's idle timer stopped while any runs.
type SubscriptionLimit struct{ Max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = SubscriptionLimit{}

func (SubscriptionLimit) ExtensionName() string                   { return "SubscriptionLimit" }
func (SubscriptionLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (l SubscriptionLimit) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	op := graphql.GetOperationContext(ctx)
	c, ok := ctx.Value(wsConnKey{}).(*wsConn)
	if !ok || op.Operation == nil {
		return next(ctx)
	}
	if !c.start(l.Max) {
		return graphql.OneShot(graphql.ErrorResponse(ctx, "too many operations running on this connection (at most %d)", l.Max))
	}
	// The transport cancels the operation's context when it ends, however it ends.
	var once sync.Once
	context.AfterFunc(ctx, func() { once.Do(c.end) })
	return next(ctx)
}
