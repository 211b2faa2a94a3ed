package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"openbank/kit/bench"
	"openbank/kit/procstat"
	"openbank/kit/scrape"
	"openbank/messaging"
	"openbank/topology"
)

// gateway is the gateway process under test.
type gateway struct {
	proc *bench.Process
	base string // host:port
}

// startGateway runs the gateway in consumer groups of its own, positioned at
// the topics' ends: earlier runs' records (the history a first start would
// work through) are not part of this run.
func startGateway(ctx context.Context, o options, kcfg messaging.Config) (*gateway, error) {
	port, err := bench.FreePort()
	if err != nil {
		return nil, err
	}
	group := fmt.Sprintf("fanout-bench-%d", time.Now().UnixNano())
	if err := messaging.CommitGroupAtEnd(ctx, kcfg, group+"-transactions", topology.TopicBalanceChanged); err != nil {
		return nil, err
	}
	if err := messaging.CommitGroupAtEnd(ctx, kcfg, group+"-feedback", topology.TopicAccountCreationFeedback, topology.TopicMoneyTransferFeedback); err != nil {
		return nil, err
	}
	env := []string{"HTTP_PORT=" + strconv.Itoa(port), "KAFKA_GROUP_ID=" + group, "LOG_LEVEL=warn",
		"PPROF_PORT=" + os.Getenv("BENCH_PPROF_PORT"),
		"MAX_CONNECTIONS_PER_CLIENT=0"} // every subscriber connects from this host
	if o.gatewayEnv != "" {
		env = append(env, strings.Split(o.gatewayEnv, ",")...)
	}
	proc, err := bench.Start(o.bin, env...)
	if err != nil {
		return nil, err
	}
	gw := &gateway{proc: proc, base: fmt.Sprintf("127.0.0.1:%d", port)}
	if err := proc.WaitReady("http://"+gw.base+"/readyz", 60*time.Second); err != nil {
		_ = proc.Stop(5 * time.Second)
		return nil, err
	}
	fmt.Printf("gateway pid %d on %s, log %s\n", proc.PID(), gw.base, proc.Log)
	return gw, nil
}

// cpuSeconds is the gateway's CPU time so far (0 when it cannot be read).
func (g *gateway) cpuSeconds() float64 {
	st, _, err := procstat.Of(g.proc.PID())
	if err != nil {
		return 0
	}
	return st.CPUSeconds()
}

// memory reports VmHWM (peak) and VmRSS.
func (g *gateway) memory() string {
	_, mem, err := procstat.Of(g.proc.PID())
	if err != nil {
		return "memory unknown: " + err.Error()
	}
	return fmt.Sprintf("VmHWM %.1f MiB, VmRSS %.1f MiB", mem.Peak, mem.RSS)
}

// lag summarises the gateway's stream lag histogram: the share of records
// fanned out within each bucket bound.
func (g *gateway) lag() string {
	m, err := scrape.Get(context.Background(), "http://"+g.base+"/metrics")
	if err != nil {
		return ""
	}
	h := m.Histogram("graphql_stream_lag_seconds")
	if h.Count == 0 {
		return ""
	}
	var parts []string
	for _, bound := range []float64{0.01, 0.02, 0.05, 0.1, 0.25} {
		parts = append(parts, fmt.Sprintf("≤%gs %.1f%%", bound, 100*h.Share(bound)))
	}
	return strings.Join(parts, ", ")
}
