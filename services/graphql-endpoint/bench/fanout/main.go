// Command fanout is the gateway's fan-out benchmark: it runs the gateway
// binary against the local stack, opens many stream_transactions subscribers
// over WebSocket, produces BalanceChanged records at a fixed rate and reports
// the delivery latency from each record's Kafka timestamp to its arrival at
// the subscriber (p50/p99/max), the gateway's CPU and its memory (VmHWM/VmRSS).
//
//	source .local/stack/env && go run ./bench/fanout -bin /tmp/graphql-endpoint
package main

import (
	_ "openbank/messaging/clients"

	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"openbank/kit/env"
	"openbank/kit/gqlws"
	"openbank/messaging"
	"openbank/topology/ident"
	"openbank/topology/serde"
)

type options struct {
	bin         string
	subscribers int
	ibans       int
	rate        int
	warmup      time.Duration
	duration    time.Duration
	protocol    string
	gatewayEnv  string
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "", "gateway binary (go build -o it from services/graphql-endpoint)")
	flag.IntVar(&o.subscribers, "subscribers", 1000, "WebSocket connections, one stream_transactions subscription each")
	flag.IntVar(&o.ibans, "ibans", 1000, "subscriber i filters on iban i mod ibans and events spread over them; 0: no filter, every event to every subscriber")
	flag.IntVar(&o.rate, "rate", 500, "BalanceChanged records per second")
	flag.DurationVar(&o.warmup, "warmup", 5*time.Second, "load before measuring")
	flag.DurationVar(&o.duration, "duration", 30*time.Second, "measured time")
	flag.StringVar(&o.protocol, "protocol", gqlws.TransportWS, "graphql-transport-ws or graphql-ws (legacy)")
	flag.StringVar(&o.gatewayEnv, "gateway-env", "", "extra NAME=value,... for the gateway (e.g. GOMEMLIMIT=64MiB)")
	flag.Parse()
	if o.bin == "" {
		fmt.Fprintln(os.Stderr, "-bin is required")
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "fanout:", err)
		os.Exit(1)
	}
}

// seqFromDescr reads the sequence number the benchmark puts in descr.
func seqFromDescr(d string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimPrefix(d, "bench "), 10, 64)
	return n, err == nil
}

// run starts the gateway, subscribes, produces at the rate and reports.
func run(o options) error {
	env := env.New()
	kcfg := messaging.ReadConfig(env, "fanout-bench")
	if err := env.Err(); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx := context.Background()

	gw, err := startGateway(ctx, o, kcfg)
	if err != nil {
		return err
	}
	defer func() { _ = gw.proc.Stop(15 * time.Second) }()

	ibans := runIBANs(o.ibans)
	subs, err := subscribe(ctx, gw.base, o, ibans)
	if err != nil {
		return err
	}
	defer subs.drop()
	time.Sleep(time.Second) // every subscription is registered
	fmt.Printf("%d subscribers connected (%s); %s\n", len(subs.conns), o.protocol, gw.memory())

	// The records' Kafka timestamps, read back from the topic.
	stamps, stopTail, err := tailTimestamps(kcfg)
	if err != nil {
		return err
	}
	defer stopTail()
	producer, err := messaging.NewProducer(kcfg, serde.NewSerde(serde.NewRegistry(kcfg.Registry())), log)
	if err != nil {
		return err
	}
	defer producer.Close()

	load := startLoad(ctx, producer, ibans, o.rate)
	time.Sleep(o.warmup)
	m := measure(gw, load, o.duration)
	load.stop()
	time.Sleep(3 * time.Second) // the last deliveries arrive
	report(o, m, subs.received(), stamps(), load.errors.Load(), gw)
	return nil
}

// runIBANs are n IBANs unique to this run, so earlier runs' records match no
// subscriber (1,000 when n is 0: events spread over them, unfiltered).
func runIBANs(n int) []string {
	first := time.Now().UnixNano() % 9_000_000_000
	if n == 0 {
		n = 1000
	}
	ibans := make([]string, n)
	for i := range ibans {
		ibans[i] = ident.IBANFor(fmt.Sprintf("%010d", first+int64(i)))
	}
	return ibans
}
