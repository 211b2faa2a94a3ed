package franz

import (
	"testing"
	"time"
)

func TestStaleFetchWaitsForTheNextFetchOnlyWhenRecordsAreLikelyWaiting(t *testing.T) {
	start := time.Unix(1_800_000_000, 0)
	atRate := func(perSecond int) *staleFetch {
		f := &staleFetch{}
		f.count(start, 0)
		f.count(start.Add(time.Second), perSecond)
		return f
	}
	cases := []struct {
		name  string
		f     *staleFetch
		stale time.Duration // how long before the take the fetch was read
		n     int
		want  time.Duration
	}{
		{"no rate known yet", &staleFetch{}, 9 * time.Millisecond, 10, 0},
		{"1,000/s, fetch read 9 ms before: capped", atRate(1000), 9 * time.Millisecond, 10, maxNextFetchWait},
		{"1,000/s, fetch read 2 ms before", atRate(1000), 2 * time.Millisecond, 10, 2 * time.Millisecond},
		{"20/s, fetch read 5 ms before: 0.1 records expected", atRate(20), 5 * time.Millisecond, 1, 0},
		{"1,000/s, fetch read just now", atRate(1000), 0, 1, 0},
		{"nothing taken", atRate(1000), 9 * time.Millisecond, 0, 0},
	}
	for _, c := range cases {
		took := start.Add(2 * time.Second)
		if c.f.rate > 0 || c.name == "no rate known yet" {
			c.f.read.Store(took.Add(-c.stale).UnixNano())
		}
		if got := c.f.wait(took, c.n); got != c.want {
			t.Errorf("%s: wait %v, want %v", c.name, got, c.want)
		}
	}
}

func TestStaleFetchRateIsRecordsPerSecondOfTheLastFullWindow(t *testing.T) {
	f := &staleFetch{}
	at := time.Unix(1_800_000_000, 0)
	for i := 0; i < 10; i++ {
		f.count(at.Add(time.Duration(i)*100*time.Millisecond), 50)
	}
	if f.rate != 0 {
		t.Fatalf("rate %v before a window is full, want 0", f.rate)
	}
	f.count(at.Add(time.Second), 50) // 11 polls of 50 records in 1 s
	if f.rate != 550 {
		t.Fatalf("rate %v, want 550", f.rate)
	}
}
