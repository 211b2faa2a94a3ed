// Command fanout is the gateway's fan-out benchmark: it runs the gateway
// binary against the local stack, opens many stream_transactions subscribers
// over WebSocket, produces BalanceChanged records at a fixed rate and reports
// the delivery latency from each record's Kafka timestamp to its arrival at
// the subscriber (p50/p99/max), the gateway's CPU and its memory (VmHWM/VmRSS).
//
//	source .local/stack/env && go run ./bench/fanout -bin /tmp/graphql-endpoint
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"openbank/services/graphql-endpoint/gqlws"
	"openbank/topology"
	"openbank/topology/bank"
	"openbank/topology/records"
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

type arrival struct {
	seq int64
	at  time.Time
}

func run(o options) error {
	env := topology.NewEnv()
	kcfg := topology.ReadKafkaConfig(env, "fanout-bench")
	if err := env.Err(); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	port, err := freePort()
	if err != nil {
		return err
	}
	// A group of its own that starts at the topics' ends: earlier runs' records
	// (the history a first start would work through) are not part of this run.
	group := fmt.Sprintf("fanout-bench-%d", time.Now().UnixNano())
	if err := topology.CommitGroupAtEnd(context.Background(), kcfg, group+"-transactions", topology.TopicBalanceChanged); err != nil {
		return err
	}
	if err := topology.CommitGroupAtEnd(context.Background(), kcfg, group+"-feedback", topology.TopicAccountCreationFeedback, topology.TopicMoneyTransferFeedback); err != nil {
		return err
	}
	gw := exec.Command(o.bin)
	gw.Env = append(os.Environ(), "HTTP_PORT="+strconv.Itoa(port), "KAFKA_GROUP_ID="+group, "LOG_LEVEL=warn",
		"STREAM_CATCH_UP_GRACE=0s", "PPROF_PORT="+os.Getenv("BENCH_PPROF_PORT"),
		"MAX_CONNECTIONS_PER_CLIENT=0") // every subscriber connects from this host
	if o.gatewayEnv != "" {
		gw.Env = append(gw.Env, strings.Split(o.gatewayEnv, ",")...)
	}
	gwLog, _ := os.CreateTemp("", "fanout-gateway-*.log")
	gw.Stdout, gw.Stderr = gwLog, gwLog
	if err := gw.Start(); err != nil {
		return err
	}
	defer func() { _ = gw.Process.Signal(os.Interrupt); _ = gw.Wait() }()
	base := fmt.Sprintf("127.0.0.1:%d", port)
	if err := waitReady("http://" + base + "/readyz"); err != nil {
		return fmt.Errorf("%w (gateway log: %s)", err, gwLog.Name())
	}
	fmt.Printf("gateway pid %d on %s, log %s\n", gw.Process.Pid, base, gwLog.Name())

	// IBANs unique to this run, so earlier runs' records match no subscriber.
	first := time.Now().UnixNano() % 9_000_000_000
	ibanCount := o.ibans
	if ibanCount == 0 {
		ibanCount = 1000
	}
	ibans := make([]string, ibanCount)
	for i := range ibans {
		ibans[i] = bank.IBANFor(fmt.Sprintf("%010d", first+int64(i)))
	}

	// Subscribers.
	var mu sync.Mutex
	arrivals := make([]arrival, 0, o.rate*int(o.duration/time.Second+o.warmup/time.Second+10)*max(1, o.subscribers/ibanCount))
	var received atomic.Int64
	ctx := context.Background()
	query := `subscription($iban: String) { stream_transactions(iban: $iban) { id iban new_balance changed_by descr direction } }`
	conns := make([]*gqlws.Conn, 0, o.subscribers)
	for i := range o.subscribers {
		c, err := gqlws.Dial(ctx, "ws://"+base+"/graphql-ws", o.protocol)
		if err != nil {
			return fmt.Errorf("subscriber %d: %w", i, err)
		}
		conns = append(conns, c)
		vars := map[string]any{}
		if o.ibans > 0 {
			vars["iban"] = ibans[i%o.ibans]
		}
		_, events, err := c.Subscribe(ctx, query, vars, 1024)
		if err != nil {
			return err
		}
		go func() {
			for e := range events {
				now := time.Now()
				var d struct {
					S struct {
						Descr string `json:"descr"`
					} `json:"stream_transactions"`
				}
				if json.Unmarshal(e.Data, &d) != nil {
					continue
				}
				if seq, ok := seqFromDescr(d.S.Descr); ok {
					received.Add(1)
					mu.Lock()
					arrivals = append(arrivals, arrival{seq, now})
					mu.Unlock()
				}
			}
		}()
	}
	defer func() {
		for _, c := range conns {
			c.Drop()
		}
	}()
	time.Sleep(time.Second) // every subscription is registered
	fmt.Printf("%d subscribers connected (%s); RSS now %s\n", len(conns), o.protocol, memory(gw.Process.Pid))

	// The records' Kafka timestamps, read back from the topic.
	stamps, stopTail, err := tailTimestamps(kcfg)
	if err != nil {
		return err
	}
	defer stopTail()

	producer, err := topology.NewProducer(kcfg, topology.NewSerde(topology.NewRegistry(kcfg.RegistryURL)), log)
	if err != nil {
		return err
	}
	defer producer.Close()

	// Produce at the rate, in 10 ms ticks.
	var seq atomic.Int64
	var sendErrs atomic.Int64
	stopProducing := make(chan struct{})
	var producing sync.WaitGroup
	producing.Add(1)
	go func() {
		defer producing.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		start := time.Now()
		for {
			select {
			case <-stopProducing:
				return
			case <-tick.C:
			}
			due := int64(time.Since(start).Seconds() * float64(o.rate))
			for seq.Load() < due {
				n := seq.Add(1)
				iban := ibans[int(n)%len(ibans)]
				id := bank.NewCommandID()
				msg := topology.Message{Topic: topology.TopicBalanceChanged, Key: iban,
					Record:  &records.BalanceChanged{IBAN: iban, NewBalance: n * 100, ChangedBy: 100, FromTo: "cash", Description: fmt.Sprint("bench ", n)},
					Headers: []topology.Header{topology.CommandIDHeader(id.String())}}
				producing.Add(1)
				go func() {
					defer producing.Done()
					if err := producer.Send(ctx, msg); err != nil {
						sendErrs.Add(1)
					}
				}()
			}
		}
	}()

	time.Sleep(o.warmup)
	measureFrom := seq.Load() + 1
	cpu0, t0 := cpuTicks(gw.Process.Pid), time.Now()
	time.Sleep(o.duration)
	measureTo := seq.Load()
	cpu1, t1 := cpuTicks(gw.Process.Pid), time.Now()
	close(stopProducing)
	producing.Wait()
	time.Sleep(3 * time.Second) // the last deliveries arrive

	// Latencies of the measured records.
	ts := stamps()
	mu.Lock()
	var lat []time.Duration
	for _, a := range arrivals {
		if a.seq < measureFrom || a.seq > measureTo {
			continue
		}
		if t, ok := ts[a.seq]; ok {
			lat = append(lat, a.at.Sub(t.kafka))
		}
	}
	mu.Unlock()
	slices.Sort(lat)
	// The same records read by a plain consumer in this process: what the
	// machine and Kafka alone cost, before any gateway work.
	var plain []time.Duration
	for s := measureFrom; s <= measureTo; s++ {
		if t, ok := ts[s]; ok {
			plain = append(plain, t.read.Sub(t.kafka))
		}
	}
	slices.Sort(plain)
	perEvent := 1
	if o.ibans == 0 {
		perEvent = o.subscribers
	} else {
		perEvent = o.subscribers / o.ibans
	}
	expected := (measureTo - measureFrom + 1) * int64(perEvent)
	cpuPct := float64(cpu1-cpu0) / 100 / t1.Sub(t0).Seconds() * 100 // clock ticks are 1/100 s on Linux

	fmt.Printf("records produced in the measured %s: %d (%.0f/s), send errors %d\n", o.duration, measureTo-measureFrom+1,
		float64(measureTo-measureFrom+1)/o.duration.Seconds(), sendErrs.Load())
	fmt.Printf("deliveries: %d of %d expected (%d subscribers per record)\n", len(lat), expected, perEvent)
	if len(lat) > 0 {
		fmt.Printf("latency from Kafka timestamp: p50 %s  p99 %s  max %s\n",
			pct(lat, 50).Round(100*time.Microsecond), pct(lat, 99).Round(100*time.Microsecond), lat[len(lat)-1].Round(100*time.Microsecond))
	}
	if len(plain) > 0 {
		fmt.Printf("baseline, a plain consumer in the benchmark: p50 %s  p99 %s  max %s\n",
			pct(plain, 50).Round(100*time.Microsecond), pct(plain, 99).Round(100*time.Microsecond), plain[len(plain)-1].Round(100*time.Microsecond))
	}
	if lag := gatewayLag("http://" + base + "/metrics"); lag != "" {
		fmt.Println("gateway, record age when fanned out (graphql_stream_lag_seconds, whole run):", lag)
	}
	fmt.Printf("gateway CPU %.0f%% of one core; memory %s\n", cpuPct, memory(gw.Process.Pid))
	return nil
}

func pct(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[max(0, min(len(sorted)-1, i-1))]
}

// tailTimestamps reads balance_changed from its end and keeps each bench
// record's Kafka timestamp by sequence number.
func tailTimestamps(cfg topology.KafkaConfig) (func() map[int64]stamp, func(), error) {
	serde := topology.NewSerde(topology.NewRegistry(cfg.RegistryURL))
	log := slog.Default()
	admin, err := topology.NewAdmin(cfg, log)
	if err != nil {
		return nil, nil, err
	}
	defer admin.Close()
	topic := topology.TopicBalanceChanged
	start, err := admin.Partitions(context.Background(), topology.OffsetEnd, topic)
	if err != nil {
		return nil, nil, err
	}
	kc, err := topology.NewReader(cfg, start, "", log)
	if err != nil {
		return nil, nil, err
	}
	var mu sync.Mutex
	m := map[int64]stamp{}
	done := make(chan struct{})
	stop := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			msgs, _ := kc.Poll(context.Background(), 500, 50*time.Millisecond)
			for _, msg := range msgs {
				rec, err := serde.Decode(topic, msg.Value)
				if err != nil {
					continue
				}
				if bc, ok := rec.(*records.BalanceChanged); ok {
					if seq, ok := seqFromDescr(bc.Description); ok {
						mu.Lock()
						m[seq] = stamp{kafka: msg.Timestamp, read: time.Now()}
						mu.Unlock()
					}
				}
			}
		}
	}()
	get := func() map[int64]stamp {
		mu.Lock()
		defer mu.Unlock()
		return maps(m)
	}
	return get, func() { close(stop); <-done; _ = kc.Close() }, nil
}

// stamp is a record's Kafka timestamp and when a plain consumer read it.
type stamp struct{ kafka, read time.Time }

func maps(m map[int64]stamp) map[int64]stamp {
	out := make(map[int64]stamp, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// gatewayLag summarises the gateway's stream lag histogram: the share of
// records fanned out within each bucket bound.
func gatewayLag(url string) string {
	resp, err := http.Get(url)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var total float64
	type bucket struct {
		le    string
		count float64
	}
	var buckets []bucket
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "graphql_stream_lag_seconds_bucket{") {
			continue
		}
		f := strings.Fields(line)
		le := strings.TrimSuffix(strings.TrimPrefix(f[0], `graphql_stream_lag_seconds_bucket{le="`), `"}`)
		n, _ := strconv.ParseFloat(f[1], 64)
		buckets = append(buckets, bucket{le, n})
		if le == "+Inf" {
			total = n
		}
	}
	if total == 0 {
		return ""
	}
	var parts []string
	for _, bk := range buckets {
		if bk.le == "0.01" || bk.le == "0.02" || bk.le == "0.05" || bk.le == "0.1" || bk.le == "0.25" {
			parts = append(parts, fmt.Sprintf("≤%ss %.1f%%", bk.le, 100*bk.count/total))
		}
	}
	return strings.Join(parts, ", ")
}

// memory reports VmHWM (peak) and VmRSS of pid.
func memory(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "?"
	}
	var hwm, rss string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "VmHWM:" {
			hwm = kib(f[1])
		}
		if len(f) >= 2 && f[0] == "VmRSS:" {
			rss = kib(f[1])
		}
	}
	return fmt.Sprintf("VmHWM %s, VmRSS %s", hwm, rss)
}

func kib(s string) string {
	n, _ := strconv.Atoi(s)
	return fmt.Sprintf("%.1f MiB", float64(n)/1024)
}

// cpuTicks is utime+stime of pid in clock ticks.
func cpuTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return u + st
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitReady(url string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("gateway not ready at %s", url)
}
