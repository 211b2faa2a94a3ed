package httpapi

import "time"

// SetClock replaces l's clock (tests).
func SetClock(l *RateLimiter, now func() time.Time) { l.now = now }
