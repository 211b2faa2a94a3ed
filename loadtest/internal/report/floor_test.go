package report

import (
	"math"
	"testing"

	"openbank/kit/stats"
	"openbank/loadtest/internal/result"
)

func TestFloorRatiosUseTheCategorysClientAndTheLowestLoad(t *testing.T) {
	f := &result.Floor{Paced: result.Paced{
		Kafka: map[string]result.KafkaFloor{
			"franz":      {RoundTrip: stats.Summary{P50: 1, P99: 10}},
			"librdkafka": {RoundTrip: stats.Summary{P50: 2, P99: 20}},
		},
		PostgresCommit: stats.Summary{P50: 0.25, P99: 2.5},
	}}
	r := Results{Categories: []Category{
		{Name: "go-franz-linger0", Loads: []Load{{AdditionalLoad: 0, Latency: stats.Summary{P50: 15, P99: 60}}, {AdditionalLoad: 100}}},
		{Name: "go", Loads: []Load{{AdditionalLoad: 0, Latency: stats.Summary{P50: 30, P99: 100}}}},
		{Name: "empty"},
	}}
	got := FloorRatios(r, f)
	if len(got) != 2 {
		t.Fatalf("%d ratios, want 2 (a category without loads has none)", len(got))
	}
	franz, other := got[0], got[1]
	if franz.Client != "franz" || franz.FloorP50 != 3 || franz.FloorP99 != 30 || franz.RatioP50 != 5 || franz.RatioP99 != 2 {
		t.Fatalf("franz %+v", franz)
	}
	// No client in the name: the default one, franz-go.
	if other.Client != "franz" || other.FloorP50 != 3 || math.Abs(other.RatioP99-100.0/30) > 1e-9 {
		t.Fatalf("default client %+v", other)
	}
	if franz.Idle != nil {
		t.Fatalf("no idle floor measured, yet an idle ratio %+v", franz.Idle)
	}
	// Two Kafka round trips and four PostgreSQL round trips at the idle pace.
	f.Idle = &result.Paced{
		Kafka:          map[string]result.KafkaFloor{"franz": {RoundTrip: stats.Summary{P50: 2, P99: 6}}},
		PostgresCommit: stats.Summary{P50: 0.5, P99: 2},
	}
	idle := FloorRatios(r, f)[0].Idle
	if idle == nil || idle.FloorP50 != 6 || idle.FloorP99 != 20 || idle.RatioP50 != 2.5 || idle.RatioP99 != 3 {
		t.Fatalf("idle %+v", idle)
	}
	if FloorRatios(r, nil) != nil {
		t.Fatal("no floor, no ratios")
	}
}
