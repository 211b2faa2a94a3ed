package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"openbank/kit/service"
	"openbank/loadtest/internal/chaos"
)

// errInvariants makes the command exit non-zero when an invariant failed.
var errInvariants = errors.New("invariants failed")

func chaosCommand(args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `usage: loadtest chaos [flags]

Runs the four services as child processes (-handlers and -gateways set how
many instances) against a running stack (source its env file; deploy/stack.sh
up --infra-only, KAFKA_NODES=3 for broker kills), puts load on them, injects
faults at random moments, stops the load, waits for every consumer to catch
up and checks the invariants, among them the gateways' writes to
transactiondb. Exits 1 when one fails.

flags:
`)
		fs.PrintDefaults()
	}
	repo := repoRoot()
	cfg := chaos.Config{}
	fs.StringVar(&cfg.Repo, "repo", repo, "the repository (services are built from REPO/services/NAME)")
	fs.StringVar(&cfg.StackDir, "stack-dir", os.Getenv("STACK_DIR"), "the running stack's STACK_DIR (Kafka nodes, PostgreSQL data)")
	fs.StringVar(&cfg.OutDir, "out", "", "folder for service logs, binaries and chaos-report.json (default: a new temporary folder)")
	fs.Float64Var(&cfg.Rate, "rate", 500, "commands per second from the command generator")
	fs.DurationVar(&cfg.Duration, "duration", 5*time.Minute, "how long the load runs; faults not injected by then are skipped")
	faults := fs.String("faults", "handler-kill=3,handler-stall=1,gateway-kill=2,broker-kill=2,postgres-stop=2",
		"faults to inject in a random order, KIND=COUNT,...; kinds: "+fmt.Sprint(chaos.Kinds))
	fs.IntVar(&cfg.Clients, "clients", 4, "API clients making transfers and watching their streams")
	fs.DurationVar(&cfg.ClientInterval, "client-interval", 250*time.Millisecond, "time between one client's transfers")
	fs.DurationVar(&cfg.GapMin, "gap-min", 3*time.Second, "least quiet time between a recovery and the next fault")
	fs.DurationVar(&cfg.GapMax, "gap-max", 10*time.Second, "most quiet time between a recovery and the next fault")
	fs.DurationVar(&cfg.BrokerPause, "broker-pause", 10*time.Second, "how long a killed Kafka node stays down")
	fs.DurationVar(&cfg.StallFor, "stall", 15*time.Second, "how long the handler stays stopped (longer than its 10 s session timeout)")
	fs.DurationVar(&cfg.RecoveryTimeout, "recovery-timeout", 2*time.Minute, "how long to wait for the bank to serve after a fault")
	fs.DurationVar(&cfg.CatchUpTimeout, "catch-up-timeout", 5*time.Minute, "how long to wait for the consumers after the load")
	fs.Uint64Var(&cfg.Seed, "seed", rand.Uint64(), "seed of the fault order and gaps")
	fs.IntVar(&cfg.Handlers, "handlers", 1, "command handler instances (one group; kills and stalls pick one at random)")
	fs.IntVar(&cfg.Gateways, "gateways", 1, "gateway instances (one pair of groups; the clients spread over them, kills pick one at random)")
	fs.IntVar(&cfg.PortBase, "port-base", 0, "HTTP ports of the services' instances: this one and the next ones (0: free ports the system picks)")
	fs.BoolVar(&cfg.RequireFaults, "require-faults", false, "fail (exit 1) when the load ended before every fault was injected and measured")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if cfg.Faults, err = chaos.ParseFaults(*faults); err != nil {
		return err
	}
	switch {
	case cfg.StackDir == "":
		return errors.New("-stack-dir (or STACK_DIR) is required: the stack whose Kafka nodes and PostgreSQL take the faults")
	case cfg.Rate < 0 || cfg.Duration <= 0 || cfg.Clients < 1 || cfg.ClientInterval <= 0:
		return errors.New("-rate ≥ 0, -duration > 0, -clients ≥ 1 and -client-interval > 0 are required")
	case cfg.GapMin < 0 || cfg.GapMax < cfg.GapMin:
		return errors.New("want 0 ≤ -gap-min ≤ -gap-max")
	case cfg.Handlers < 1 || cfg.Handlers > 9 || cfg.Gateways < 1 || cfg.Gateways > 9:
		return errors.New("-handlers and -gateways: want 1 to 9")
	case cfg.PortBase < 0 || cfg.PortBase > 65536-len(service.Names)-cfg.Handlers-cfg.Gateways+2:
		return errors.New("-port-base: want 0 or a port with room for every instance below 65536")
	}
	if cfg.OutDir == "" {
		if cfg.OutDir, err = os.MkdirTemp("", "chaos-"); err != nil {
			return err
		}
	}
	if cfg.StackDir, err = filepath.Abs(cfg.StackDir); err != nil {
		return err
	}
	fmt.Printf("chaos: seed %d, output in %s\n", cfg.Seed, cfg.OutDir)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := chaos.Run(ctx, cfg, os.Stdout, log)
	if err != nil {
		return err
	}
	for _, r := range rep.Results {
		if !r.OK {
			return errInvariants
		}
	}
	return nil
}

// repoRoot is the nearest folder at or above the working directory that holds
// go.work (the repository), or the working directory.
func repoRoot() string {
	wd, _ := os.Getwd()
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			return wd
		}
	}
}
