package main

import (
	"fmt"
	"slices"
	"time"

	"openbank/kit/stats"
)

// measurement is the measured window: the records produced in it and the
// gateway's CPU time over it.
type measurement struct {
	from, to int64 // sequence numbers
	cpu      float64
	elapsed  time.Duration
}

func measure(gw *gateway, l *load, d time.Duration) measurement {
	m := measurement{from: l.seq.Load() + 1}
	cpu0, t0 := gw.cpuSeconds(), time.Now()
	time.Sleep(d)
	m.to = l.seq.Load()
	m.cpu, m.elapsed = gw.cpuSeconds()-cpu0, time.Since(t0)
	return m
}

// report prints the latencies of the measured records at the subscribers
// and, as a baseline, at a plain consumer in this process.
func report(o options, m measurement, arrivals []arrival, ts map[int64]stamp, sendErrs int64, gw *gateway) {
	var lat []time.Duration
	for _, a := range arrivals {
		if a.seq < m.from || a.seq > m.to {
			continue
		}
		if t, ok := ts[a.seq]; ok {
			lat = append(lat, a.at.Sub(t.kafka))
		}
	}
	slices.Sort(lat)
	// What the machine and Kafka alone cost, before any gateway work.
	var plain []time.Duration
	for s := m.from; s <= m.to; s++ {
		if t, ok := ts[s]; ok {
			plain = append(plain, t.read.Sub(t.kafka))
		}
	}
	slices.Sort(plain)
	perEvent := o.subscribers
	if o.ibans != 0 {
		perEvent = o.subscribers / o.ibans
	}
	produced := m.to - m.from + 1
	fmt.Printf("records produced in the measured %s: %d (%.0f/s), send errors %d\n", o.duration, produced,
		float64(produced)/o.duration.Seconds(), sendErrs)
	fmt.Printf("deliveries: %d of %d expected (%d subscribers per record)\n", len(lat), produced*int64(perEvent), perEvent)
	printLatency("latency from Kafka timestamp", lat)
	printLatency("baseline, a plain consumer in the benchmark", plain)
	if lag := gw.lag(); lag != "" {
		fmt.Println("gateway, record age when fanned out (graphql_stream_lag_seconds, whole run):", lag)
	}
	fmt.Printf("gateway CPU %.0f%% of one core; %s\n", m.cpu/m.elapsed.Seconds()*100, gw.memory())
}

func printLatency(what string, sorted []time.Duration) {
	if len(sorted) == 0 {
		return
	}
	r := func(d time.Duration) time.Duration { return d.Round(100 * time.Microsecond) }
	fmt.Printf("%s: p50 %s  p99 %s  max %s\n", what, r(pct(sorted, 50)), r(pct(sorted, 99)), r(sorted[len(sorted)-1]))
}

func pct(sorted []time.Duration, p int) time.Duration {
	return stats.PercentileDuration(sorted, float64(p))
}
