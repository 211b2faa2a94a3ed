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

func names(create []span) []string {
	var out []string
	for _, s := range create {
		out = append(out, s.name)
	}
	return out
}

// The window's edge: a partition is dropped only once all of it is older
// than now - window, so a record handled at now - window is still there.
func TestPlanKeepsEveryPartitionThatReachesIntoTheWindow(t *testing.T) {
	const window = 7 * Day
	// 2026-11-30 and 2026-12-07 are Mondays.
	existing := []string{"command_before_d20261203", "command_d20261203_d20261207", "command_d20261207_d20261214",
		"command_d20261214_d20261221", "some_other_table"}
	cases := []struct {
		now  time.Time
		drop []string
	}{
		{day("2026-12-09"), nil},
		// the edge is 2026-12-03T12:00: command_before_d20261203 lies wholly before it
		{day("2026-12-10").Add(12 * time.Hour), []string{"command_before_d20261203"}},
		// the edge is exactly 2026-12-07, where command_d20261203_d20261207 ends: it goes
		{day("2026-12-14"), []string{"command_before_d20261203", "command_d20261203_d20261207"}},
		// a millisecond before, it still reaches the edge
		{day("2026-12-14").Add(-time.Millisecond), []string{"command_before_d20261203"}},
	}
	for _, c := range cases {
		_, drop := plan(existing, c.now, window)
		if !slices.Equal(drop, c.drop) {
			t.Errorf("at %v: drop %v, want %v", c.now, drop, c.drop)
		}
	}
}

// The week of now and the next get a partition, from a Monday, less what one
// covers already: after the rows from before partitioning, the first starts
// where they end.
func TestPlanCreatesThisWeekAndTheNext(t *testing.T) {
	now := day("2026-12-03").Add(23 * time.Hour) // a Thursday
	create, _ := plan([]string{"command_before_d20261204"}, now, 7*Day)
	if got, want := names(create), []string{"command_d20261204_d20261207", "command_d20261207_d20261214"}; !slices.Equal(got, want) {
		t.Errorf("after the legacy rows: create %v, want %v", got, want)
	}
	create, _ = plan(nil, now, 7*Day)
	if got, want := names(create), []string{"command_d20261130_d20261207", "command_d20261207_d20261214"}; !slices.Equal(got, want) {
		t.Errorf("from nothing: create %v, want %v", got, want)
	}
	create, _ = plan([]string{"command_d20261130_d20261207", "command_d20261207_d20261214"}, now, 7*Day)
	if len(create) != 0 {
		t.Errorf("all there: create %v, want nothing", names(create))
	}
}
