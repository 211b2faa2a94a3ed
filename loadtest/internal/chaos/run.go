package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"openbank/kit/bench"
	"openbank/kit/env"
	"openbank/kit/service"
	"openbank/loadtest/internal/heartbeat"
	"openbank/messaging"
)

// Config is one chaos run.
type Config struct {
	Repo, StackDir, OutDir string
	Rate                   float64       // heartbeats (commands) per second from the command generator
	Duration               time.Duration // how long the load runs; faults stop when it ends
	Faults                 map[string]int
	Clients                int
	ClientInterval         time.Duration // between one client's transfers
	GapMin, GapMax         time.Duration // quiet time between a recovery and the next fault
	BrokerPause, StallFor  time.Duration
	// Handlers and Gateways are how many instances of the command handler and
	// of the gateway run (each in the groups the instances share); 0 is 1.
	Handlers, Gateways int
	// PortBase: the services' HTTP ports are PortBase, PortBase+1, … in
	// service.Names' order, instance by instance; 0 lets the system pick free ones.
	PortBase int
	// RequireFaults makes a run whose load ended before every fault was
	// injected and measured fail.
	RequireFaults   bool
	RecoveryTimeout time.Duration // give up waiting for the bank to serve after a fault
	CatchUpTimeout  time.Duration
	Seed            uint64
}

// Report is what a run found; it is also written as JSON to OutDir.
type Report struct {
	Config     Config        `json:"config"`
	Started    time.Time     `json:"started"`
	KafkaNodes int           `json:"kafka_nodes"`
	Faults     []FaultRecord `json:"faults"`
	Results    []Result      `json:"results"`
	Summary    string        `json:"summary"`
	Commands   int           `json:"commands"`
	Transfers  int           `json:"client_transfers"`
	Load       string        `json:"load_average"`
	Writes     *Writes       `json:"transactiondb_writes,omitempty"`
}

// Run runs the bank under load with faults and checks the invariants.
func Run(ctx context.Context, cfg Config, out io.Writer, log *slog.Logger) (*Report, error) {
	rep := &Report{Config: cfg, Started: time.Now().UTC()}
	env := env.New()
	kafka := messaging.ReadConfig(env, "chaos")
	// The tool's own reads use franz-go: librdkafka's admin client aborted the
	// whole process (an assertion in rd_kafka_enq_once) during a broker kill.
	// The services keep the KAFKA_CLIENT of the environment.
	kafka.Client = messaging.ClientFranz
	dbHost, dbPort, dbPassword := env.String("DB_HOSTNAME", "localhost", "PostgreSQL host of the stack"),
		env.Int("DB_PORT", 5432, 1, 65535, "PostgreSQL port of the stack"), env.String("DB_PASSWORD", "", "the services' database password (the stack's env file)")
	if err := env.Err(); err != nil {
		return nil, err
	}
	nodes, err := KafkaNodes(cfg.StackDir)
	if err != nil {
		return nil, err
	}
	rep.KafkaNodes = nodes
	if nodes < 2 && cfg.Faults[BrokerKill] > 0 {
		return nil, fmt.Errorf("broker kills need a stack of several Kafka nodes (KAFKA_NODES=3); %s has %d", cfg.StackDir, nodes)
	}
	if err := os.MkdirAll(filepath.Join(cfg.OutDir, "bin"), 0o755); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "chaos: building the services into %s\n", filepath.Join(cfg.OutDir, "bin"))
	bins, err := Build(ctx, cfg.Repo, filepath.Join(cfg.OutDir, "bin"))
	if err != nil {
		return nil, err
	}
	admin, err := messaging.NewAdmin(kafka, log)
	if err != nil {
		return nil, err
	}
	defer admin.Close()

	groups := Groups{Handler: "chaos-command-handler", Gateway: "chaos-graphql-endpoint", Generator: "chaos-command-generator"}
	// svc holds each service's first instance; all, every instance in start order.
	svc := map[string]*Service{}
	var all, handlers, gateways []*Service
	defer func() {
		for i := len(all) - 1; i >= 0; i-- {
			all[i].Close()
		}
	}()
	extra := map[string][]string{
		"command-handler":   {"KAFKA_GROUP_ID=" + groups.Handler},
		"graphql-endpoint":  append([]string{"KAFKA_GROUP_ID=" + groups.Gateway}, LoadTestGatewayEnv...),
		"heartbeat":         {"HEARTBEAT_PAUSED=true"},
		"command-generator": {"KAFKA_GROUP_ID=" + groups.Generator},
	}
	count := map[string]int{"command-handler": max(cfg.Handlers, 1), "graphql-endpoint": max(cfg.Gateways, 1)}
	for _, name := range service.Names {
		for i := range max(count[name], 1) {
			port := cfg.PortBase + len(all)
			if cfg.PortBase == 0 {
				if port, err = bench.FreePort(); err != nil {
					return nil, err
				}
			}
			instance, env := name, extra[name]
			if count[name] > 1 {
				instance = fmt.Sprintf("%s-%d", name, i+1)
			}
			switch name {
			case "command-handler", "graphql-endpoint":
				// Static members: a killed instance gets its partitions back on restart.
				env = append(slices.Clone(env), fmt.Sprintf("KAFKA_GROUP_INSTANCE_ID=chaos-%s-%d", name, i+1))
			}
			s, err := NewService(instance, bins[name], filepath.Join(cfg.OutDir, instance+".log"), port, env...)
			if err != nil {
				return nil, err
			}
			all = append(all, s)
			if i == 0 {
				svc[name] = s
			}
			switch name {
			case "command-handler":
				handlers = append(handlers, s)
			case "graphql-endpoint":
				gateways = append(gateways, s)
			}
			// Up to six starts: the gateway has died at start (SIGSEGV in librdkafka)
			// against a cluster still loading its coordinators.
			if err := (&Injector{ReadyTimeout: 2 * time.Minute}).restart(ctx, s); err != nil {
				return nil, err
			}
			fmt.Fprintf(out, "chaos: %s ready on :%d\n", instance, port)
		}
	}

	// A backlog from an earlier run would make the clients' first answers time out.
	fmt.Fprintln(out, "chaos: waiting for the consumers to catch up before the load")
	if !catchUp(ctx, admin, groups, cfg.CatchUpTimeout) {
		return nil, fmt.Errorf("the consumers did not catch up within %s before the load", cfg.CatchUpTimeout)
	}
	confirmations := NewConfirmations()
	var clients []*Client
	clientCtx, stopClients := context.WithCancel(ctx)
	defer stopClients()
	tag := fmt.Sprintf("%x", rand.Uint32())
	for i := range cfg.Clients {
		// The clients spread over the gateways: each streams to its own subscribers.
		url := fmt.Sprintf("ws://127.0.0.1:%d/graphql-ws", gateways[i%len(gateways)].Port)
		c := NewClient(fmt.Sprintf("chaos-%s-%d", tag, i+1), url, confirmations.Add)
		if err := c.Open(clientCtx, 2*time.Minute); err != nil {
			return nil, fmt.Errorf("client %d: %w", i+1, err)
		}
		defer c.Close()
		clients = append(clients, c)
	}
	for _, c := range clients {
		var peers []string
		for _, p := range clients {
			if p != c {
				peers = append(peers, p.IBAN())
			}
		}
		c.SetPeers(peers)
	}
	beat := heartbeat.New(fmt.Sprintf("http://127.0.0.1:%d", svc["heartbeat"].Port), "")
	if _, err := beat.SetRate(ctx, cfg.Rate); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "chaos: load on: %.0f commands/s from the generator, %d API clients; %d handler(s), %d gateway(s); %s on %d Kafka node(s)\n",
		cfg.Rate, cfg.Clients, len(handlers), len(gateways), faultList(cfg.Faults), nodes)

	start := time.Now()
	loadCtx, stopLoad := context.WithTimeout(clientCtx, cfg.Duration)
	defer stopLoad()
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() { c.Run(loadCtx, clientCtx, cfg.ClientInterval, 3*time.Minute) })
	}
	progressDone := make(chan struct{})
	go progress(out, start, admin, groups.Handler, confirmations, rep, progressDone)

	writes := &Writes{}
	in := &Injector{Handlers: handlers, Gateways: gateways, Repo: cfg.Repo, StackDir: cfg.StackDir,
		KafkaNodes: nodes, BrokerPause: cfg.BrokerPause, StallFor: cfg.StallFor, ReadyTimeout: 2 * time.Minute,
		BeforeKill: func(s *Service) {
			if s.Name == "graphql-endpoint" || strings.HasPrefix(s.Name, "graphql-endpoint-") {
				writes.Add(ctx, s) // its counters die with it
			}
		}}
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	var faultErr error
	for _, kind := range Schedule(cfg.Faults, rng) {
		sleep(loadCtx, cfg.GapMin+time.Duration(rng.Int64N(int64(cfg.GapMax-cfg.GapMin)+1)))
		if loadCtx.Err() != nil {
			break
		}
		f, err := injectAndMeasure(loadCtx, in, kind, start, confirmations, cfg.RecoveryTimeout)
		rep.addFault(f)
		fmt.Fprintf(out, lineStart(out)+"fault %3d %-14s %-18s at +%-8s served again after %s\n", len(rep.Faults), f.Kind, f.Target,
			f.At.Round(time.Second), recoveryText(f))
		if err != nil {
			faultErr = err
			break
		}
	}
	<-loadCtx.Done()
	if err := in.WaitBroker(); err != nil && faultErr == nil {
		faultErr = err
	}
	fmt.Fprintf(out, "\nchaos: load stopped after %s; waiting for answers in flight and for every consumer to catch up\n", time.Since(start).Round(time.Second))
	if _, err := beat.Pause(context.WithoutCancel(ctx)); err != nil {
		return nil, err
	}
	wg.Wait()
	caught := catchUp(ctx, admin, groups, cfg.CatchUpTimeout)
	close(progressDone)
	sleep(ctx, 3*time.Second) // the last transactions reach the streams

	var o Observed
	if o.Lags, err = Lags(ctx, admin, groups); err != nil {
		return nil, err
	}
	if err := ReadTopics(ctx, kafka, admin, log, &o); err != nil {
		return nil, err
	}
	db := func(name, user string) string {
		return fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s", dbHost, dbPort, user, dbPassword, name)
	}
	if err := ReadDatabases(ctx, db("balancedb", "command_handler"), db("transactiondb", "graphql_endpoint"), &o); err != nil {
		return nil, err
	}
	for _, g := range gateways {
		writes.Add(ctx, g)
	}
	if err := writes.ReadTable(ctx, db("transactiondb", "graphql_endpoint")); err != nil {
		return nil, err
	}
	writes.Gateways = len(gateways)
	o.Writes, rep.Writes = writes, writes
	for _, c := range clients {
		o.Clients = append(o.Clients, c.Transfers()...)
	}
	var unanswered []ClientTransfer
	for _, t := range o.Clients {
		if !t.Answered || t.Repeats > 0 || len(t.StreamIDs) > 1 || (t.Confirmed && len(t.StreamIDs) == 0) {
			unanswered = append(unanswered, t)
		}
	}
	if raw, err := json.MarshalIndent(unanswered, "", "  "); err == nil {
		_ = os.WriteFile(filepath.Join(cfg.OutDir, "client-failures.json"), raw, 0o644)
	}
	rep.Results, rep.Commands, rep.Transfers = Check(o), len(o.Commands), len(o.Clients)
	if cfg.RequireFaults {
		rep.Results = append(rep.Results, AllFaults(cfg.Faults, rep.Faults))
	}
	rep.Summary = Summary(rep.Results)
	rep.Load = loadAverage()
	if !caught {
		fmt.Fprintln(out, "chaos: the consumers did not catch up in time")
	}
	fmt.Fprintln(out, "\nrecovery (fault → next confirmed transfer sent after it):")
	PrintStats(out, rep.Faults)
	fmt.Fprintf(out, "\n%d commands, %d client transfers; load average %s\n", rep.Commands, rep.Transfers, rep.Load)
	fmt.Fprintf(out, "transactiondb writes: %s\n", writes)
	for _, r := range rep.Results {
		mark := "PASS"
		if !r.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(out, "%s %s: %s\n", mark, r.Name, r.Detail)
	}
	fmt.Fprintln(out, rep.Summary)
	if raw, err := json.MarshalIndent(rep, "", "  "); err == nil {
		_ = os.WriteFile(filepath.Join(cfg.OutDir, "chaos-report.json"), raw, 0o644)
	}
	return rep, faultErr
}

var reportMu sync.Mutex

func (r *Report) addFault(f FaultRecord) {
	reportMu.Lock()
	defer reportMu.Unlock()
	r.Faults = append(r.Faults, f)
}

// injectAndMeasure injects a fault and waits until a transfer sent after it
// is confirmed (or timeout passes).
func injectAndMeasure(ctx context.Context, in *Injector, kind string, start time.Time, c *Confirmations, timeout time.Duration) (FaultRecord, error) {
	f := FaultRecord{Kind: kind, Recovery: -1}
	var at time.Time
	target, err := in.Inject(ctx, kind, func() { at = time.Now() })
	f.Target = target
	if at.IsZero() {
		at = time.Now()
	}
	f.At = at.Sub(start)
	if err != nil {
		f.Err = err.Error()
		return f, err
	}
	deadline := time.After(timeout - time.Since(at))
	for {
		served, ok, next := c.ServedAgain(at)
		if ok {
			f.Recovery = served.Sub(at)
			return f, nil
		}
		select {
		case <-next:
		case <-deadline:
			return f, nil
		case <-ctx.Done():
			f.Cut = true // the load ended first: no transfer could show recovery
			return f, nil
		}
	}
}

// catchUp waits until no consumer group lags, twice in a row.
func catchUp(ctx context.Context, admin *messaging.Admin, g Groups, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	clean := 0
	for time.Now().Before(deadline) && ctx.Err() == nil {
		lags, err := Lags(ctx, admin, g)
		behind := err != nil
		for _, l := range lags {
			behind = behind || max(l.Committed, 0) < l.High
		}
		if behind {
			clean = 0
		} else if clean++; clean == 2 {
			return true
		}
		sleep(ctx, 2*time.Second)
	}
	return false
}
