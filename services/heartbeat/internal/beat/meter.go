package beat

import (
	"sync"
	"time"
)

// meter measures a rate over a sliding window from periodic samples of a
// running count.
type meter struct {
	mu      sync.Mutex
	window  time.Duration
	count   int64
	samples []sample // oldest first, spanning at most window
}

type sample struct {
	at    time.Time
	count int64
}

func newMeter(window time.Duration) *meter { return &meter{window: window} }

func (m *meter) add(n int) {
	m.mu.Lock()
	m.count += int64(n)
	m.mu.Unlock()
}

// sample records the count at now and forgets samples older than the window.
func (m *meter) sample(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.samples = append(m.samples, sample{at: now, count: m.count})
	drop := 0
	for drop < len(m.samples)-2 && now.Sub(m.samples[drop+1].at) >= m.window {
		drop++
	}
	m.samples = append(m.samples[:0], m.samples[drop:]...)
}

// rate is the count's growth per second over the sampled window.
func (m *meter) rate() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.samples) < 2 {
		return 0
	}
	first, last := m.samples[0], m.samples[len(m.samples)-1]
	return float64(last.count-first.count) / last.at.Sub(first.at).Seconds()
}
