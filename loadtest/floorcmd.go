package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"openbank/kit/procstat"
	"openbank/kit/service"
	"openbank/kit/stats"
	"openbank/loadtest/internal/floor"
	"openbank/loadtest/internal/run"
	"openbank/messaging"
)

// floorCommand measures the floor under the bank's latency on this machine
// and stack: the Kafka round trip per client and a PostgreSQL commit.
func floorCommand(args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: loadtest floor [flags]

Measures, on the stack of the environment (source $STACK_DIR/env), a bare Kafka
produce → consume round trip with the bank's producer and consumer settings for
each Kafka client, a batch spread over many partitions until acknowledged (as the
command handler publishes its events), and a PostgreSQL commit; prints p50/p99 and writes a JSON file
that 'loadtest report --floor' sets beside the bank's latency. The round trips and
commits are measured twice: a few milliseconds apart, and with the pause of a no-load
run between them (-idle-interval), when every hop first wakes an idle process.
Each also gets the CPU time (user and system) this process spent per call, on one
thread as the bank's services run (unless GOMAXPROCS is set), and so does a bare
wake-up on a timer after the same pause: how late it comes is the least any hop
waits, its CPU the least any hop costs. Last, per Kafka client, two bare programs
built as the services are idle and their resident memory is read: a bare client
(a producer and a reader through openbank/messaging), the least a service holds
with that client, and a bare service (the same inside the ops server, a database
pool and the registry client with Avro that every service starts), the least a
service of the bank holds before its own work.

`)
		fs.PrintDefaults()
	}
	clientList := fs.String("clients", strings.Join(messaging.Clients(), ","), "Kafka clients to measure")
	warmup := fs.Int("warmup", 3000, "round trips per client, one after another, before measuring: the broker's JIT compiler warms up")
	records := fs.Int("records", 1000, "round trips per client")
	spread := fs.Int("spread", 48, "records per spread batch (0: none), sent over the 24 partitions of "+floor.SpreadTopic)
	batches := fs.Int("batches", 300, "spread batches per client")
	commits := fs.Int("commits", 1000, "PostgreSQL commits")
	interval := fs.Duration("interval", 5*time.Millisecond, "pause between two round trips or commits")
	idleInterval := fs.Duration("idle-interval", 250*time.Millisecond, "pause between two samples of the idle floor, a no-load run's (0: not measured)")
	idleSamples := fs.Int("idle-samples", 200, "round trips per client, and commits, of the idle floor")
	bareSettle := fs.Duration("bare-client-settle", 5*time.Second, "how long the bare client and bare service idle before their memory is read (0: not measured)")
	dsn := fs.String("dsn", defaultDSN(), "PostgreSQL connection string")
	out := fs.String("out", "floor.json", "result file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// On one thread, as the bank's services run: CPU per call is then theirs too.
	service.OneThread()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	base, err := kafkaFromEnv("loadtest-floor")
	if err != nil {
		return err
	}
	clients := splitList(*clientList)
	configs := map[string]messaging.Config{} // the bank's settings, with each client
	for _, client := range clients {
		cfg := base
		cfg.Client = client
		configs[client] = cfg
		if *warmup > 0 {
			// Warm every client before measuring any, or the first is measured on a cold broker.
			fmt.Fprintf(os.Stderr, "floor: %d round trips with %s to warm up …\n", *warmup, client)
			if _, err := floor.Kafka(ctx, cfg, *warmup, 0, log); err != nil {
				return fmt.Errorf("%s: warm up: %w", client, err)
			}
		}
	}
	res := floor.Result{Time: time.Now().UTC()}
	if res.Paced, err = measure(ctx, clients, configs, *records, *commits, *interval, *dsn, log); err != nil {
		return err
	}
	for _, client := range clients {
		if k := res.Kafka[client]; *spread > 0 {
			fmt.Fprintf(os.Stderr, "floor: batches of %d records over %d partitions with %s …\n", *spread, floor.SpreadPartitions, client)
			b, cpu, err := floor.SpreadBatch(ctx, configs[client], *batches, *spread, *interval, log)
			if err != nil {
				return fmt.Errorf("%s: %w", client, err)
			}
			k.SpreadBatch, k.SpreadSize, k.SpreadBatchCPU = &b, *spread, cpu
			res.Kafka[client] = k
		}
	}
	if *idleInterval > 0 {
		idle, err := measure(ctx, clients, configs, *idleSamples, *idleSamples, *idleInterval, *dsn, log)
		if err != nil {
			return err
		}
		res.Idle = &idle
	}
	if *bareSettle > 0 {
		res.BareClient, res.BareService = map[string]procstat.Memory{}, map[string]procstat.Memory{}
		for _, client := range clients {
			for _, b := range bares(res) {
				fmt.Fprintf(os.Stderr, "floor: memory of a bare %s with %s, idle …\n", b.program, client)
				mem, err := floor.BareMemory(ctx, b.program, configs[client], *dsn, *bareSettle, log)
				if err != nil {
					// The round trips are measured already: keep them, say what is missing.
					log.Warn("bare program not measured (run loadtest from the repository: go run ./loadtest floor)", "program", b.program, "client", client, "error", err)
					continue
				}
				b.mem[client] = mem
			}
		}
	}
	res.Load1 = run.ThisLoad()

	fmt.Printf("%-40s %8s %8s %8s %8s\n", "floor (ms; CPU in µs per call)", "p50", "p99", "n", "CPU")
	line := func(what string, s stats.Summary, cpu float64) {
		fmt.Printf("%-40s %8.2f %8.2f %8d %8s\n", what, s.P50, s.P99, s.N, cpuText(cpu))
	}
	show := func(p floor.Paced, pace string) {
		for _, client := range clients {
			k := p.Kafka[client]
			line("kafka "+client+" acknowledged"+pace, k.Acknowledged, 0)
			line("kafka "+client+" round trip"+pace, k.RoundTrip, k.RoundTripCPU)
			if b := k.SpreadBatch; b != nil {
				line(fmt.Sprintf("kafka %s batch of %d%s", client, k.SpreadSize, pace), *b, k.SpreadBatchCPU)
			}
		}
		line("postgresql commit"+pace, p.PostgresCommit, p.PostgresCommitCPU)
		if p.WakeUp != nil {
			line("wake-up, late by"+pace, *p.WakeUp, p.WakeUpCPU)
		}
	}
	show(res.Paced, "")
	if res.Idle != nil {
		show(*res.Idle, ", idle")
	}
	for _, client := range clients {
		for _, b := range bares(res) {
			if m, ok := b.mem[client]; ok {
				fmt.Printf("bare %s %s, idle: RSS %.1f MiB (anonymous %.1f, file-backed %.1f)\n", b.program, client, m.RSS, m.Anon, m.File)
			}
		}
	}
	fmt.Printf("load average (1 min) %.2f\n", res.Load1)
	if dir := filepath.Dir(*out); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	return writeJSON(*out, res)
}

// measure takes records round trips per client, and as many timer wake-ups
// as PostgreSQL commits, one every interval.
func measure(ctx context.Context, clients []string, configs map[string]messaging.Config,
	records, commits int, interval time.Duration, dsn string, log *slog.Logger) (floor.Paced, error) {
	p := floor.Paced{IntervalMS: float64(interval) / float64(time.Millisecond), Kafka: map[string]floor.KafkaFloor{}}
	for _, client := range clients {
		fmt.Fprintf(os.Stderr, "floor: %d Kafka round trips with %s, one every %s …\n", records, client, interval)
		k, err := floor.Kafka(ctx, configs[client], records, interval, log)
		if err != nil {
			return p, fmt.Errorf("%s: %w", client, err)
		}
		p.Kafka[client] = k
	}
	fmt.Fprintf(os.Stderr, "floor: %d wake-ups, one every %s …\n", commits, interval)
	late, cpu, err := floor.WakeUp(ctx, commits, interval)
	if err != nil {
		return p, err
	}
	p.WakeUp, p.WakeUpCPU = &late, cpu
	fmt.Fprintf(os.Stderr, "floor: %d PostgreSQL commits, one every %s …\n", commits, interval)
	commit, cpu, err := floor.Postgres(ctx, dsn, commits, interval)
	if err != nil {
		return p, err
	}
	p.PostgresCommit, p.PostgresCommitCPU = commit, cpu
	return p, nil
}

// cpuText shows CPU µs per call, or nothing when not measured.
func cpuText(us float64) string {
	if us <= 0 {
		return ""
	}
	return fmt.Sprintf("%.0f", us)
}

// defaultDSN is the command handler's database of the stack's environment.
func defaultDSN() string {
	get := func(k, def string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return def
	}
	return fmt.Sprintf("host=%s port=%s user=%s password=%s dbname=%s sslmode=disable",
		get("DB_HOSTNAME", "127.0.0.1"), get("DB_PORT", "5432"), get("DB_USER", "command_handler"),
		get("DB_PASSWORD", ""), get("DB_NAME", "balancedb"))
}

// bareMemory is one bare program's memory, per Kafka client.
type bareMemory struct {
	program string
	mem     map[string]procstat.Memory
}

// bares pairs each bare program with its memory in res, client first.
func bares(res floor.Result) []bareMemory {
	return []bareMemory{{floor.BareClient, res.BareClient}, {floor.BareService, res.BareService}}
}
