// Package ratelimit bounds how often a key (a client, a username) may do
// something costly: a token bucket per key.
package ratelimit

import (
	"sync"
	"time"
)

// Limiter is a token bucket per key: Burst at once, then one per Every.
// Buckets of keys quiet long enough to be full again are dropped.
type Limiter struct {
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

// New allows perMinute operations a minute per key, burst at once; nil when
// perMinute is 0 (no limit; a nil Limiter allows everything).
func New(perMinute, burst int) *Limiter {
	if perMinute <= 0 {
		return nil
	}
	return &Limiter{Every: time.Minute / time.Duration(perMinute), Burst: max(burst, 1),
		buckets: map[string]*bucket{}, now: time.Now}
}

// SetClock replaces l's clock (tests).
func (l *Limiter) SetClock(now func() time.Time) { l.now = now }

// Allow takes one token of key's bucket; false when it is empty.
func (l *Limiter) Allow(key string) bool {
	if l == nil {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	full := time.Duration(l.Burst) * l.Every
	if now.Sub(l.swept) > full {
		for k, b := range l.buckets {
			if now.Sub(b.at) >= full {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: float64(l.Burst), at: now}
		l.buckets[key] = b
	}
	b.tokens = min(float64(l.Burst), b.tokens+float64(now.Sub(b.at))/float64(l.Every))
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// giveBack returns a token taken by Allow (the other bucket refused).
func (l *Limiter) giveBack(key string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.buckets[key]; ok {
		b.tokens = min(float64(l.Burst), b.tokens+1)
	}
}
