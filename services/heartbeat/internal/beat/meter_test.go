package beat

import (
	"testing"
	"time"
)

func TestMeterRateOverWindow(t *testing.T) {
	m := newMeter(5 * time.Second)
	start := time.Unix(0, 0)
	// 100/s for 10 s, then 300/s for 10 s, sampled every 250 ms.
	for i := 0; i <= 80; i++ {
		now := start.Add(time.Duration(i) * 250 * time.Millisecond)
		if i > 0 {
			if i <= 40 {
				m.add(25)
			} else {
				m.add(75)
			}
		}
		m.sample(now)
		if i == 40 {
			if r := m.rate(); r != 100 {
				t.Fatalf("after 10 s at 100/s: rate %v", r)
			}
		}
	}
	if r := m.rate(); r != 300 {
		t.Fatalf("after 10 s at 300/s: rate %v (only the last 5 s count)", r)
	}
	if n := len(m.samples); n > 22 {
		t.Fatalf("%d samples kept for a 5 s window", n)
	}
}
