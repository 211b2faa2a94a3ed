package pace

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestFromRate(t *testing.T) {
	cases := []struct {
		rate     float64
		batch    int
		interval time.Duration
	}{
		{10, 1, 100 * time.Millisecond},
		{20, 1, 50 * time.Millisecond},
		{30, 1, 33333333 * time.Nanosecond},
		{100, 1, 10 * time.Millisecond},
		{150, 2, 13333333 * time.Nanosecond},
		{20000, 200, 10 * time.Millisecond},
		{0.5, 1, 2 * time.Second},
	}
	for _, c := range cases {
		s, err := FromRate(c.rate, time.Second)
		if err != nil {
			t.Fatalf("FromRate(%v): %v", c.rate, err)
		}
		if s.BatchSize != c.batch || s.Interval != c.interval {
			t.Errorf("FromRate(%v) = %d every %s, want %d every %s", c.rate, s.BatchSize, s.Interval, c.batch, c.interval)
		}
		if math.Abs(s.Rate()-c.rate)/c.rate > 1e-6 {
			t.Errorf("FromRate(%v).Rate() = %v", c.rate, s.Rate())
		}
		if err := s.Validate(); err != nil {
			t.Errorf("FromRate(%v) invalid: %v", c.rate, err)
		}
	}
}

func TestFromRateZeroKeepsInterval(t *testing.T) {
	s, err := FromRate(0, 250*time.Millisecond)
	if err != nil || s.BatchSize != 0 || s.Interval != 250*time.Millisecond {
		t.Fatalf("FromRate(0) = %+v, %v", s, err)
	}
}

func TestFromRateRefuses(t *testing.T) {
	for _, rate := range []float64{-1, math.NaN(), math.Inf(1), MaxRate + 1, 1.0 / 7200} {
		if _, err := FromRate(rate, time.Second); err == nil {
			t.Errorf("FromRate(%v) accepted", rate)
		}
	}
}

func TestValidate(t *testing.T) {
	bad := []Settings{
		{BatchSize: -1, Interval: time.Second},
		{BatchSize: MaxBatchSize + 1, Interval: time.Second},
		{BatchSize: 1, Interval: 0},
		{BatchSize: 1, Interval: 2 * time.Hour},
		{BatchSize: MaxBatchSize, Interval: time.Millisecond}, // 100M/s
	}
	for _, s := range bad {
		if err := s.Validate(); err == nil {
			t.Errorf("%+v accepted", s)
		}
	}
	err := Settings{BatchSize: -1, Interval: 0}.Validate()
	if err == nil || !strings.Contains(err.Error(), "batch_size") || !strings.Contains(err.Error(), "interval") {
		t.Errorf("want both problems named, got %v", err)
	}
	if err := (Settings{BatchSize: 0, Interval: time.Second}).Validate(); err != nil {
		t.Errorf("batch size 0 refused: %v", err)
	}
}

func TestScheduleSendsOnTheClock(t *testing.T) {
	start := time.Unix(1000, 0)
	sc := NewSchedule(Settings{BatchSize: 3, Interval: 100 * time.Millisecond}, start)
	if sc.Next() != start {
		t.Fatalf("first tick at %v, want at start", sc.Next())
	}
	if n := sc.Due(start); n != 3 {
		t.Fatalf("tick 0: %d beats, want 3", n)
	}
	if n := sc.Due(start.Add(50 * time.Millisecond)); n != 0 {
		t.Fatalf("between ticks: %d beats, want 0", n)
	}
	if want := start.Add(100 * time.Millisecond); sc.Next() != want {
		t.Fatalf("next tick at %v, want %v", sc.Next(), want)
	}
	// Late by 2.5 ticks (sending took long): the missed ticks are sent now,
	// and the clock does not drift.
	if n := sc.Due(start.Add(350 * time.Millisecond)); n != 9 {
		t.Fatalf("after 3 missed ticks: %d beats, want 9", n)
	}
	if want := start.Add(400 * time.Millisecond); sc.Next() != want {
		t.Fatalf("next tick at %v, want %v", sc.Next(), want)
	}
}

func TestScheduleRateOverTime(t *testing.T) {
	s, _ := FromRate(30, time.Second)
	start := time.Unix(0, 0)
	sc := NewSchedule(s, start)
	total := 0
	var gaps []time.Duration
	last := time.Time{}
	// Wake exactly at each due time for 10 s: 300 beats, evenly spaced.
	for now := sc.Next(); now.Before(start.Add(9990 * time.Millisecond)); now = sc.Next() {
		n := sc.Due(now)
		if n != 1 {
			t.Fatalf("at %v: %d beats, want 1", now.Sub(start), n)
		}
		if !last.IsZero() {
			gaps = append(gaps, now.Sub(last))
		}
		last = now
		total += n
	}
	if total != 300 {
		t.Fatalf("%d beats in 10 s at 30/s", total)
	}
	for _, g := range gaps {
		if g < 33*time.Millisecond || g > 34*time.Millisecond {
			t.Fatalf("uneven gap %s", g)
		}
	}
}

func TestScheduleSkipsAfterStall(t *testing.T) {
	start := time.Unix(0, 0)
	sc := NewSchedule(Settings{BatchSize: 1, Interval: 10 * time.Millisecond}, start)
	sc.Due(start)
	// A 5 s stall: only one second's worth (100 ticks) is sent.
	if n := sc.Due(start.Add(5 * time.Second)); n != 100 {
		t.Fatalf("after stall: %d beats, want 100", n)
	}
	if sc.Skipped() != 400 {
		t.Fatalf("skipped %d ticks, want 400", sc.Skipped())
	}
}
