package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"openbank/loadtest/internal/result"
	"openbank/messaging"
)

// PathKafkaRoundTrips and PathPostgresRoundTrips are what the bank's path does,
// at the least, per command: two
// Kafka round trips (command, then event) and four PostgreSQL round trips (the
// gateway's claim, the handler's lock-and-read and its commit, the gateway's
// store), each of the latter counted as a commit.
const (
	PathKafkaRoundTrips    = 2
	PathPostgresRoundTrips = 4
)

// FloorRatio sets a category's latency at its lowest additional load beside
// the floor of the bank's path, paced (samples a few ms apart) and idle
// (samples a no-load run's pause apart), when the floor has it.
type FloorRatio struct {
	Category string  `json:"category"`
	Load     float64 `json:"additional_load"`
	Client   string  `json:"kafka_client"` // whose round trip the floor uses
	BankP50  float64 `json:"bank_p50_ms"`
	BankP99  float64 `json:"bank_p99_ms"`
	Ratio            // beside the floor with samples a few ms apart
	Idle     *Ratio  `json:"idle,omitempty"`
}

// Ratio is the bank's latency beside one floor.
type Ratio struct {
	FloorP50 float64 `json:"floor_p50_ms"`
	FloorP99 float64 `json:"floor_p99_ms"` // the sum of p99s: an upper bound
	RatioP50 float64 `json:"ratio_p50"`
	RatioP99 float64 `json:"ratio_p99"`
}

// FloorRatios compares every category with the floor; nil without one.
func FloorRatios(r Results, f *result.Floor) []FloorRatio {
	if f == nil || len(f.Kafka) == 0 {
		return nil
	}
	var out []FloorRatio
	for _, c := range r.Categories {
		if len(c.Loads) == 0 {
			continue
		}
		l := c.Loads[0] // loads are in order: the lowest is the closest to idle
		client := clientOf(c.Name, f)
		fr := FloorRatio{Category: c.Name, Load: l.AdditionalLoad, Client: client,
			BankP50: l.Latency.P50, BankP99: l.Latency.P99, Ratio: ratio(l.Latency.P50, l.Latency.P99, f.Paced, client)}
		if f.Idle != nil {
			idle := ratio(l.Latency.P50, l.Latency.P99, *f.Idle, client)
			fr.Idle = &idle
		}
		out = append(out, fr)
	}
	return out
}

func ratio(p50, p99 float64, p result.Paced, client string) Ratio {
	k := p.Kafka[client]
	r := Ratio{
		FloorP50: PathKafkaRoundTrips*k.RoundTrip.P50 + PathPostgresRoundTrips*p.PostgresCommit.P50,
		FloorP99: PathKafkaRoundTrips*k.RoundTrip.P99 + PathPostgresRoundTrips*p.PostgresCommit.P99,
	}
	if r.FloorP50 > 0 {
		r.RatioP50 = p50 / r.FloorP50
	}
	if r.FloorP99 > 0 {
		r.RatioP99 = p99 / r.FloorP99
	}
	return r
}

// clientOf is the Kafka client a category name speaks of (go-franz-linger0),
// else the default client, else the first measured.
func clientOf(category string, f *result.Floor) string {
	names := make([]string, 0, len(f.Kafka))
	for n := range f.Kafka {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if strings.Contains(category, n) {
			return n
		}
	}
	if _, ok := f.Kafka[messaging.DefaultClient]; ok {
		return messaging.DefaultClient
	}
	return names[0]
}

// writeFloor prints the floor ratios, when there are any.
func writeFloor(w io.Writer, r Results) error {
	if len(r.FloorRatios) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "category\tload\tclient\tp50\tfloor p50\tratio\tp99\tfloor p99\tratio\tidle floor p50\tratio\tidle floor p99\tratio\t")
	for _, f := range r.FloorRatios {
		idle := "\t\t\t\t"
		if i := f.Idle; i != nil {
			idle = fmt.Sprintf("%.1f\t%.1f×\t%.1f\t%.1f×\t", i.FloorP50, i.RatioP50, i.FloorP99, i.RatioP99)
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%.1f\t%.1f\t%.1f×\t%.1f\t%.1f\t%.1f×\t%s\n", f.Category, f.Load, f.Client,
			f.BankP50, f.FloorP50, f.RatioP50, f.BankP99, f.FloorP99, f.RatioP99, idle)
	}
	return tw.Flush()
}
