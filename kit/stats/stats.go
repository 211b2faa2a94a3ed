// Package stats summarises latencies: mean, standard error of the mean and
// percentiles, without I/O. Its Percentile is the one definition of a
// percentile in the project: the load test, the benchmarks and the chaos run
// all use it, so their p50s and p99s compare.
package stats

import (
	"math"
	"sort"
	"time"
)

// Summary describes a set of values.
type Summary struct {
	N      int     `json:"n"`
	Mean   float64 `json:"mean"`
	StdErr float64 `json:"std_err"`
	P50    float64 `json:"p50"`
	P90    float64 `json:"p90"`
	P99    float64 `json:"p99"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// Summarize returns the summary of values (which it does not change); all
// fields are zero for no values.
func Summarize(values []float64) Summary {
	if len(values) == 0 {
		return Summary{}
	}
	sorted := append([]float64(nil), values...)
	sort.Float64s(sorted)
	return Summary{
		N:      len(sorted),
		Mean:   Mean(sorted),
		StdErr: StdErr(sorted),
		P50:    percentileSorted(sorted, 50),
		P90:    percentileSorted(sorted, 90),
		P99:    percentileSorted(sorted, 99),
		Min:    sorted[0],
		Max:    sorted[len(sorted)-1],
	}
}

// Mean is the arithmetic mean; 0 for no values.
func Mean(values []float64) float64 {
	if len(values) == 0 {
		return 0
	}
	sum := 0.0
	for _, v := range values {
		sum += v
	}
	return sum / float64(len(values))
}

// StdErr is the standard error of the mean: the sample standard deviation
// (n−1) divided by √n; 0 for fewer than two values.
func StdErr(values []float64) float64 {
	n := len(values)
	if n < 2 {
		return 0
	}
	m := Mean(values)
	ss := 0.0
	for _, v := range values {
		ss += (v - m) * (v - m)
	}
	return math.Sqrt(ss/float64(n-1)) / math.Sqrt(float64(n))
}

// Percentile is the p-th percentile (0–100) by linear interpolation between
// closest ranks (the common "type 7" definition, as numpy's default); 0 for
// no values.
func Percentile(values []float64, p float64) float64 {
	if len(values) == 0 {
		return 0
	}
	sorted := append([]float64(nil), values...)
	sort.Float64s(sorted)
	return percentileSorted(sorted, p)
}

func percentileSorted(sorted []float64, p float64) float64 {
	switch {
	case p <= 0:
		return sorted[0]
	case p >= 100:
		return sorted[len(sorted)-1]
	}
	rank := p / 100 * float64(len(sorted)-1)
	lo := int(math.Floor(rank))
	hi := lo + 1
	if hi >= len(sorted) {
		return sorted[lo]
	}
	return sorted[lo] + (rank-float64(lo))*(sorted[hi]-sorted[lo])
}

// PercentileDuration is Percentile of durations.
func PercentileDuration(ds []time.Duration, p float64) time.Duration {
	values := make([]float64, len(ds))
	for i, d := range ds {
		values[i] = float64(d)
	}
	return time.Duration(math.Round(Percentile(values, p)))
}

// Running keeps every value seen so far for a live p99.
type Running struct {
	values []float64
}

// Add records one value.
func (r *Running) Add(v float64) { r.values = append(r.values, v) }

// N is the number of values.
func (r *Running) N() int { return len(r.values) }

// Percentile over the values so far.
func (r *Running) Percentile(p float64) float64 { return Percentile(r.values, p) }
