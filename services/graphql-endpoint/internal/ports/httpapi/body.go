package httpapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"openbank/services/graphql-endpoint/internal/app/client"
)

// withClient puts the request's client (client.Proxies.Of) into its context,
// and so into every operation of a WebSocket. A client behind a trusted
// proxy shares the proxy's connections, which the listener does not cap:
// its requests and WebSockets open at once are capped here instead, at
// maxPerClient (0: no cap).
func withClient(proxies client.Proxies, maxPerClient int, next http.Handler) http.Handler {
	var open inFlight
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := proxies.Of(r)
		if maxPerClient > 0 && id != client.IP(r.RemoteAddr) {
			if !open.take(id, maxPerClient) {
				http.Error(w, "too many connections from this client address", http.StatusTooManyRequests)
				return
			}
			defer open.give(id)
		}
		next.ServeHTTP(w, r.WithContext(client.With(r.Context(), id)))
	})
}

// inFlight counts what each client has open.
type inFlight struct {
	mu   sync.Mutex
	open map[string]int
}

func (f *inFlight) take(id string, most int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.open == nil {
		f.open = map[string]int{}
	}
	if f.open[id] >= most {
		return false
	}
	f.open[id]++
	return true
}

func (f *inFlight) give(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.open[id]--; f.open[id] <= 0 {
		delete(f.open, id)
	}
}

// readBody reads a request's whole body, at most MaxRequestBytes, within
// BodyReadTimeout, before anything else sees it, then bounds the rest of the
// request by RequestTimeout. A body that is too big or too slow is refused
// with a short message naming neither sockets nor the body.
func readBody(l Limits, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			rc := http.NewResponseController(w)
			if l.BodyReadTimeout > 0 {
				// Not supported by a test recorder: then the server's own bound holds.
				_ = rc.SetReadDeadline(time.Now().Add(l.BodyReadTimeout))
			}
			b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, l.MaxRequestBytes))
			if err != nil {
				var tooBig *http.MaxBytesError
				if errors.As(err, &tooBig) {
					http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				} else {
					http.Error(w, "request body not received in time", http.StatusRequestTimeout)
				}
				return
			}
			if l.BodyReadTimeout > 0 {
				// The connection's own read deadline is over: the request's context bounds the rest.
				_ = rc.SetReadDeadline(time.Time{})
			}
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		if !isWebSocket(r) {
			ctx := context.WithValue(r.Context(), plainHTTPKey{}, true)
			if l.RequestTimeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, l.RequestTimeout)
				defer cancel()
			}
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(w, r)
	})
}

func isWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

type plainHTTPKey struct{}

// plainHTTP says whether ctx is a request's over plain HTTP (not a WebSocket's).
func plainHTTP(ctx context.Context) bool {
	v, _ := ctx.Value(plainHTTPKey{}).(bool)
	return v
}
