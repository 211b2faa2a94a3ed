package httpapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"openbank/services/graphql-endpoint/internal/client"
)

// withClient puts the request's client (client.Proxies.Of) into its context,
// and so into every operation of a WebSocket.
func withClient(proxies client.Proxies, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(client.With(r.Context(), proxies.Of(r))))
	})
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
	return r.Header.Get("Upgrade") != ""
}

type plainHTTPKey struct{}

// plainHTTP says whether ctx is a request's over plain HTTP (not a WebSocket's).
func plainHTTP(ctx context.Context) bool {
	v, _ := ctx.Value(plainHTTPKey{}).(bool)
	return v
}
