// Package pace decides when the heartbeat sends and how many beats: a batch of
// BatchSize beats every Interval, on a clock, so time spent sending does not
// slow the rate down.
package pace

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Limits of the settings; the control API refuses anything outside them.
const (
	MinInterval  = time.Millisecond
	MaxInterval  = time.Hour
	MaxBatchSize = 100_000
	MaxRate      = 1_000_000 // messages per second
	// maxTicksPerSecond bounds how often a rate set directly ticks: up to this
	// many messages/s every beat has its own tick (evenly spaced); above it,
	// ticks come every 10 ms with as many beats as the rate needs.
	maxTicksPerSecond = 100
	// catchUp is how far behind the clock the heartbeat may fall and still send
	// the missed beats; ticks missed beyond it (a stall) are skipped, not burst.
	catchUp = time.Second
)

// Settings are the heartbeat's pace: BatchSize beats every Interval.
type Settings struct {
	BatchSize int
	Interval  time.Duration
}

// Rate is the pace in messages per second.
func (s Settings) Rate() float64 {
	return float64(s.BatchSize) / s.Interval.Seconds()
}

// Validate says what is wrong with s, in words for the caller.
func (s Settings) Validate() error {
	var errs []error
	if s.BatchSize < 0 || s.BatchSize > MaxBatchSize {
		errs = append(errs, fmt.Errorf("batch_size must be from 0 to %d, got %d", MaxBatchSize, s.BatchSize))
	}
	if s.Interval < MinInterval || s.Interval > MaxInterval {
		errs = append(errs, fmt.Errorf("interval must be from %s to %s, got %s", MinInterval, MaxInterval, s.Interval))
	}
	if len(errs) == 0 && s.Rate() > MaxRate {
		errs = append(errs, fmt.Errorf("batch_size/interval is %.0f messages/s, more than the maximum %d", s.Rate(), MaxRate))
	}
	return errors.Join(errs...)
}

// FromRate returns settings that send rate messages per second. Rates up to
// 100/s send one beat per tick, evenly spaced (30/s: one every 33.3 ms); higher
// rates tick every 10 ms or a little more, with the smallest whole batch that
// makes the rate exact (150/s: 2 every 13.3 ms; 20000/s: 200 every 10 ms).
// Rate 0 keeps keepInterval and sends nothing (batch size 0).
func FromRate(rate float64, keepInterval time.Duration) (Settings, error) {
	switch {
	case math.IsNaN(rate) || math.IsInf(rate, 0) || rate < 0:
		return Settings{}, fmt.Errorf("rate must be a number from 0 to %d messages/s, got %v", MaxRate, rate)
	case rate > MaxRate:
		return Settings{}, fmt.Errorf("rate must be at most %d messages/s, got %v", MaxRate, rate)
	case rate == 0:
		return Settings{BatchSize: 0, Interval: keepInterval}, nil
	}
	batch := max(1, math.Ceil(rate/maxTicksPerSecond))
	interval := time.Duration(math.Round(batch / rate * float64(time.Second)))
	if interval > MaxInterval {
		return Settings{}, fmt.Errorf("rate must be 0 or at least one message per %s, got %v messages/s", MaxInterval, rate)
	}
	return Settings{BatchSize: int(batch), Interval: interval}, nil
}

// Schedule is the clock of one pace: tick k is due at start + k*Interval
// (tick 0 at once), and each tick sends BatchSize beats.
type Schedule struct {
	s       Settings
	start   time.Time
	done    int64 // ticks accounted for
	skipped int64
}

// NewSchedule starts s at start.
func NewSchedule(s Settings, start time.Time) *Schedule {
	return &Schedule{s: s, start: start}
}

// Next is when the next tick is due.
func (sc *Schedule) Next() time.Time {
	return sc.start.Add(time.Duration(sc.done) * sc.s.Interval)
}

// Due returns how many beats to send at now for the ticks that came due since
// the last call. Beats of ticks more than a second behind are skipped (counted
// by Skipped), so a stall is not followed by a burst.
func (sc *Schedule) Due(now time.Time) int {
	if now.Before(sc.start) {
		return 0
	}
	due := int64(now.Sub(sc.start)/sc.s.Interval) + 1
	ticks := due - sc.done
	if ticks <= 0 {
		return 0
	}
	limit := max(1, int64(catchUp/sc.s.Interval))
	if ticks > limit {
		sc.skipped += ticks - limit
		ticks = limit
	}
	sc.done = due
	return int(ticks) * sc.s.BatchSize
}

// Skipped is how many ticks were skipped after stalls.
func (sc *Schedule) Skipped() int64 { return sc.skipped }
