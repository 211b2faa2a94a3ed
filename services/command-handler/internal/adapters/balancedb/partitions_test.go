package balancedb

import (
	"slices"
	"testing"
	"time"
)

func day(s string) time.Time {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return d
}

// The window's edge: a partition is dropped only once all of it is older
// than now - window, so a record handled at now - window is still there.
func TestPlanKeepsEveryDayThatReachesIntoTheWindow(t *testing.T) {
	const window = 7 * Day
	existing := []string{"command_before_d20261201", "command_d20261201", "command_d20261202",
		"command_d20261208", "command_d20261209", "command_d20261210", "some_other_table"}
	cases := []struct {
		now  time.Time
		drop []string
	}{
		// the edge is 2026-12-01T12:00: the day 12-01 reaches into the window
		{day("2026-12-08").Add(12 * time.Hour), []string{"command_before_d20261201"}},
		// the edge is exactly 2026-12-02T00:00, the end of day 12-01: it goes
		{day("2026-12-09"), []string{"command_before_d20261201", "command_d20261201"}},
		// a millisecond before that the day 12-01 still reaches the edge
		{day("2026-12-09").Add(-time.Millisecond), []string{"command_before_d20261201"}},
	}
	for _, c := range cases {
		_, drop := Plan(existing, c.now, window)
		if !slices.Equal(drop, c.drop) {
			t.Errorf("at %v: drop %v, want %v", c.now, drop, c.drop)
		}
	}
}

// Today and the next Ahead days get a partition unless one covers them.
func TestPlanCreatesTheNextDays(t *testing.T) {
	now := day("2026-12-08").Add(23 * time.Hour)
	create, _ := Plan([]string{"command_before_d20261209", "command_d20261210"}, now, 7*Day)
	// the 8th is in command_before_d20261209, the 10th has its own
	want := []time.Time{day("2026-12-09")}
	if !slices.Equal(create, want) {
		t.Errorf("create %v, want %v", create, want)
	}
	create, _ = Plan(nil, now, 7*Day)
	if want := []time.Time{day("2026-12-08"), day("2026-12-09"), day("2026-12-10")}; !slices.Equal(create, want) {
		t.Errorf("from nothing: create %v, want %v", create, want)
	}
}
