package retry

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestAfterWaitsAsToldAndKeepsTheError(t *testing.T) {
	busy := errors.New("busy")
	var tries []time.Time
	err := Do(context.Background(), slog.Default(), "op", Policy{Initial: time.Millisecond}, func() error {
		tries = append(tries, time.Now())
		if len(tries) < 2 {
			return After(200*time.Millisecond, busy)
		}
		return nil
	})
	if err != nil || len(tries) != 2 {
		t.Fatalf("error %v after %d tries", err, len(tries))
	}
	if wait := tries[1].Sub(tries[0]); wait < 200*time.Millisecond {
		t.Errorf("tried again after %s, want at least the 200ms asked", wait)
	}
	if e := After(time.Second, busy); !errors.Is(e, busy) || e.Error() != "busy" {
		t.Errorf("After's error %q does not stand for %q", e, busy)
	}
}

func TestAfterBeyondWithinGivesUp(t *testing.T) {
	start := time.Now()
	err := Do(context.Background(), slog.Default(), "op", Policy{Within: 100 * time.Millisecond}, func() error {
		return After(time.Hour, errors.New("come back later"))
	})
	if err == nil || !strings.Contains(err.Error(), "come back later") || time.Since(start) > time.Second {
		t.Errorf("error %v after %s, want the op's at once", err, time.Since(start))
	}
}
