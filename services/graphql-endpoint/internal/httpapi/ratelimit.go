package httpapi

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// RateLimiter is a token bucket per client: Burst at once, then one per
// Every. Buckets of clients quiet long enough to be full again are dropped.
type RateLimiter struct {
	Every time.Duration
	Burst int

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
	now     func() time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewRateLimiter allows perMinute operations a minute per client, burst at once.
func NewRateLimiter(perMinute, burst int) *RateLimiter {
	return &RateLimiter{Every: time.Minute / time.Duration(perMinute), Burst: burst,
		buckets: map[string]*bucket{}, now: time.Now}
}

// Allow takes one token of client's bucket; false when it is empty.
func (l *RateLimiter) Allow(client string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	full := time.Duration(l.Burst) * l.Every
	if now.Sub(l.swept) > full {
		for c, b := range l.buckets {
			if now.Sub(b.at) >= full {
				delete(l.buckets, c)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[client]
	if !ok {
		b = &bucket{tokens: float64(l.Burst), at: now}
		l.buckets[client] = b
	}
	b.tokens = min(float64(l.Burst), b.tokens+float64(now.Sub(b.at))/float64(l.Every))
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

type clientKey struct{}

// ClientFrom is the client (remote IP address) of a request's context.
func ClientFrom(ctx context.Context) string {
	c, _ := ctx.Value(clientKey{}).(string)
	return c
}

// withClient puts the remote IP address into the request's context (and so
// into every operation of a WebSocket).
func withClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientKey{}, clientIP(r.RemoteAddr))))
	})
}

func clientIP(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}
