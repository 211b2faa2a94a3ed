// Command bench drives the real command handler through the real local stack
// and reports commands/s, command→feedback latency (p50/p99), CPU-seconds per
// 1,000 commands and peak RSS of the handler process.
//
//	source $STACK_DIR/env && go run ./bench [-rates 500,1000] [-phase 20s] [-flat 50000]
//
// It builds the handler (or takes -bin), starts it in a fresh consumer group
// positioned at the end of `commands`, opens accounts through it, then runs one
// phase per rate and a flat-out phase last. Extra handler settings go in as
// NAME=value arguments, e.g. COMMAND_BATCH_SIZE=1000.
package main

import (
	_ "openbank/messaging/clients"

	"context"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"openbank/kit/bench"
	"openbank/kit/env"
	"openbank/kit/procstat"
	"openbank/messaging"
	"openbank/topology"
	"openbank/topology/serde"
)

type options struct {
	bin      string
	rates    []int
	phase    time.Duration
	tick     time.Duration
	flat     int
	drain    int
	accounts int
	extraEnv []string // NAME=value for the handler
}

func main() {
	var o options
	rates := flag.String("rates", "500,1000", "paced phases, commands per second")
	flag.StringVar(&o.bin, "bin", "", "handler binary (default: build the module in the current directory)")
	flag.DurationVar(&o.phase, "phase", 20*time.Second, "length of each paced phase")
	flag.DurationVar(&o.tick, "tick", 10*time.Millisecond, "paced phases send what is due every tick (1ms comes closer to many independent clients)")
	flag.IntVar(&o.flat, "flat", 50_000, "commands in the flat-out phase (0: none)")
	flag.IntVar(&o.accounts, "accounts", 50, "accounts the transfers move money between")
	flag.IntVar(&o.drain, "drain", 0, "commands in a drain phase: queued while the handler is stopped (SIGSTOP), then handled flat out (0: none)")
	flag.Parse()
	o.extraEnv = flag.Args()
	var err error
	if o.rates, err = parseRates(*rates); err == nil {
		err = run(o, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func parseRates(list string) ([]int, error) {
	var rates []int
	for _, r := range strings.Split(list, ",") {
		if r = strings.TrimSpace(r); r == "" {
			continue
		}
		n, err := strconv.Atoi(r)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("-rates: %q is not a rate", r)
		}
		rates = append(rates, n)
	}
	return rates, nil
}

// run starts the handler in a group of its own, opens accounts through it and
// measures each phase.
func run(o options, log *slog.Logger) error {
	env := env.New()
	cfg := messaging.ReadConfig(env, "bench")
	if err := env.Err(); err != nil {
		return err
	}
	if o.bin == "" {
		bin, remove, err := bench.Build(".", "command-handler")
		if err != nil {
			return err
		}
		defer remove()
		o.bin = bin
	}
	ctx := context.Background()
	s, stop, err := connect(cfg, log)
	if err != nil {
		return err
	}
	defer stop()
	group := fmt.Sprintf("command-handler-bench-%d", time.Now().UnixNano())
	if err := messaging.CommitGroupAtEnd(ctx, cfg, group, topology.TopicCommands); err != nil {
		return fmt.Errorf("position group %s at the end of the commands: %w", group, err)
	}
	if err := s.startHandler(o, group); err != nil {
		return err
	}
	defer func() { _ = s.handler.Stop(15 * time.Second) }()

	accounts, err := openAccounts(ctx, s.producer, s.feedback, o.accounts)
	if err != nil {
		return err
	}
	s.traffic = &generator{accounts: accounts, rnd: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))}
	_, idle, _ := procstat.Of(s.handler.PID())
	fmt.Printf("idle RSS %.1f MiB after setup; load average %s\n\n", idle.RSS, procstat.LoadAverage())
	defer func() { fmt.Printf("\nload average %s\n", procstat.LoadAverage()) }()
	printHeader()

	for _, rate := range o.rates {
		if err := s.measure(fmt.Sprintf("%d/s", rate), func() (result, error) { return s.paced(ctx, rate, o.phase, o.tick) }); err != nil {
			return err
		}
	}
	if o.flat > 0 {
		if err := s.measure("flat out", func() (result, error) { return s.flatOut(ctx, o.flat) }); err != nil {
			return err
		}
	}
	if o.drain > 0 {
		if err := s.measure("drain", func() (result, error) { return s.drained(ctx, o.drain) }); err != nil {
			return err
		}
	}
	return nil
}

// connect opens the producer of commands and the tail of the feedback topics.
func connect(cfg messaging.Config, log *slog.Logger) (*session, func(), error) {
	serde := serde.NewSerde(serde.NewRegistry(cfg.Registry()))
	producer, err := messaging.NewProducer(cfg, serde, log)
	if err != nil {
		return nil, nil, err
	}
	fb, err := newFeedbackTail(cfg, serde)
	if err != nil {
		producer.Close()
		return nil, nil, err
	}
	return &session{producer: producer, feedback: fb}, func() { fb.close(); producer.Close() }, nil
}

// startHandler runs the handler binary in group and waits until it is ready.
func (s *session) startHandler(o options, group string) error {
	port, err := bench.FreePort()
	if err != nil {
		return err
	}
	s.handler, err = bench.Start(o.bin, append([]string{"KAFKA_GROUP_ID=" + group, "HTTP_PORT=" + strconv.Itoa(port)}, o.extraEnv...)...)
	if err != nil {
		return err
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	s.metrics = base + "/metrics"
	if err := s.handler.WaitReady(base+"/readyz", 60*time.Second); err != nil {
		_ = s.handler.Stop(5 * time.Second)
		return err
	}
	fmt.Printf("handler pid %d, log %s, settings %v\n", s.handler.PID(), s.handler.Log, o.extraEnv)
	return nil
}

func printHeader() {
	fmt.Printf("%-10s %9s %10s %9s %9s %9s %14s %13s %11s %13s\n", "phase", "commands", "cmds/s", "p50 ms", "p99 ms", "max ms",
		"CPU s/1000cmd", "peak RSS MiB", "avg batch", "avg batch ms")
}
