package stats

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestPercentileInterpolates(t *testing.T) {
	v := []float64{40, 10, 30, 20} // sorted: 10 20 30 40
	cases := []struct{ p, want float64 }{
		{0, 10}, {100, 40}, {50, 25}, {25, 17.5}, {90, 37}, {99, 39.7}, {-5, 10}, {150, 40},
	}
	for _, c := range cases {
		if got := Percentile(v, c.p); !near(got, c.want) {
			t.Errorf("Percentile(%v) = %v, want %v", c.p, got, c.want)
		}
	}
	if v[0] != 40 {
		t.Error("Percentile sorted its input in place")
	}
}

func TestPercentileOfHundred(t *testing.T) {
	v := make([]float64, 100)
	for i := range v {
		v[i] = float64(i + 1) // 1..100
	}
	if got := Percentile(v, 99); !near(got, 99.01) {
		t.Errorf("p99 of 1..100 = %v, want 99.01", got)
	}
	if got := Percentile(v, 50); !near(got, 50.5) {
		t.Errorf("p50 of 1..100 = %v, want 50.5", got)
	}
}

func TestEmptyAndSingle(t *testing.T) {
	if s := Summarize(nil); s != (Summary{}) {
		t.Errorf("Summarize(nil) = %+v", s)
	}
	s := Summarize([]float64{7})
	if s.N != 1 || s.Mean != 7 || s.StdErr != 0 || s.P50 != 7 || s.P99 != 7 || s.Max != 7 || s.Min != 7 {
		t.Errorf("Summarize([7]) = %+v", s)
	}
}

func TestStdErr(t *testing.T) {
	// 2 4 4 4 5 5 7 9: mean 5, sample sd √(32/7), se = sd/√8.
	v := []float64{2, 4, 4, 4, 5, 5, 7, 9}
	want := math.Sqrt(32.0/7.0) / math.Sqrt(8)
	if got := StdErr(v); !near(got, want) {
		t.Errorf("StdErr = %v, want %v", got, want)
	}
	s := Summarize(v)
	if s.Mean != 5 || !near(s.StdErr, want) || s.Max != 9 || s.Min != 2 || s.N != 8 {
		t.Errorf("Summarize = %+v", s)
	}
}

func TestRunning(t *testing.T) {
	var r Running
	for i := 1; i <= 10; i++ {
		r.Add(float64(i))
	}
	if r.N() != 10 || !near(r.Percentile(50), 5.5) {
		t.Errorf("running: n %d p50 %v", r.N(), r.Percentile(50))
	}
}
