package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"openbank/loadtest/internal/dockersample"
	"openbank/loadtest/internal/driver"
	"openbank/loadtest/internal/heartbeat"
	"openbank/loadtest/internal/result"
	"openbank/loadtest/internal/run"
	"openbank/loadtest/internal/sampler"
	"openbank/messaging"
)

// profileOf finds --profile in args before the flags are defined, so the
// profile's values become the flags' defaults.
func profileOf(args []string) string {
	for i, a := range args {
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "profile" {
			continue
		}
		if hasVal {
			return val
		}
		if i+1 < len(args) {
			return args[i+1]
		}
	}
	return "original"
}

type durationFlag struct{ d *run.Duration }

func (f durationFlag) String() string {
	if f.d == nil {
		return ""
	}
	return f.d.D().String()
}
func (f durationFlag) Set(s string) error { return f.d.UnmarshalText([]byte(s)) }

type listFlag struct{ l *[]string }

func (f listFlag) String() string {
	if f.l == nil {
		return ""
	}
	return strings.Join(*f.l, ",")
}
func (f listFlag) Set(s string) error { *f.l = append(*f.l, s); return nil }

// defaultsListFlag is a repeatable flag whose first use replaces the defaults;
// an empty value clears the list.
type defaultsListFlag struct {
	l   *[]string
	set *bool
}

func (f defaultsListFlag) String() string { return listFlag{f.l}.String() }
func (f defaultsListFlag) Set(s string) error {
	if !*f.set {
		*f.l, *f.set = nil, true
	}
	if s != "" {
		*f.l = append(*f.l, s)
	}
	return nil
}

func runCommand(args []string, log *slog.Logger) error {
	cfg, err := run.Defaults(profileOf(args))
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: loadtest run [flags]\n\nprofiles: %s (default original); a profile sets the defaults below.\n\n", strings.Join(run.ProfileNames(), ", "))
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.Profile, "profile", cfg.Profile, "named profile: original, quick or steep")
	fs.StringVar(&cfg.Category, "category", cfg.Category, "category name of this run in reports, e.g. go-rdkafka-linger5")
	fs.StringVar(&cfg.Driver, "driver", cfg.Driver, "api (GraphQL WebSocket) or browser (headless Chromium on the client page)")
	fs.StringVar(&cfg.Output, "output", "", "result file (JSON lines); default results/<category>-<time>.jsonl")
	fs.StringVar(&cfg.GraphQLURL, "graphql-url", cfg.GraphQLURL, "GraphQL WebSocket URL (api driver)")
	fs.StringVar(&cfg.FrontendURL, "frontend-url", cfg.FrontendURL, "the frontend's client page (browser driver); ?graphql= is added from --graphql-url unless given")
	fs.StringVar(&cfg.Chromium, "chromium", cfg.Chromium, "Chromium binary (browser driver); default: found on PATH")
	fs.StringVar(&cfg.HeartbeatURL, "heartbeat-url", cfg.HeartbeatURL, "heartbeat control API; empty: no additional load (its token, if it has one: HEARTBEAT_CONTROL_TOKEN in the environment)")
	fs.StringVar(&cfg.MetricsURL, "metrics-url", cfg.MetricsURL, "command handler's Prometheus /metrics (consumer lag); empty: none")
	fs.StringVar(&cfg.LagMetric, "lag-metric", cfg.LagMetric, "metric with the consumer lag")
	fs.StringVar(&cfg.GeneratorURL, "generator-url", cfg.GeneratorURL, "command generator's HTTP address (its process for sampling, its /metrics for the heartbeat lag); empty: none")
	fs.StringVar(&cfg.GeneratorLag, "generator-lag-metric", cfg.GeneratorLag, "command generator's metric with its lag on the heartbeat topic")
	fs.Var(durationFlag{&cfg.MinLoopTime}, "min-loop-time", "at least this long per loop")
	fs.Var(durationFlag{&cfg.Timeout}, "timeout", "a latency above this is a time-out")
	fs.IntVar(&cfg.MaxTimeouts, "max-timeouts", cfg.MaxTimeouts, "stop after this many time-outs")
	fs.IntVar(&cfg.MaxLoops, "max-loops", cfg.MaxLoops, "stop after this many loops")
	fs.Var(durationFlag{&cfg.MaxDuration}, "max-duration", "stop after this long (0: no limit)")
	fs.Float64Var(&cfg.InitialLoad, "initial-load", cfg.InitialLoad, "additional load (heartbeats/s) at the start")
	fs.Float64Var(&cfg.LoadStep, "load-step", cfg.LoadStep, "additional load added (msg/s) …")
	fs.IntVar(&cfg.LoadEvery, "load-every", cfg.LoadEvery, "… every this many loops")
	fs.BoolVar(&cfg.ResetLoad, "reset-load", cfg.ResetLoad, "set the heartbeat back to 0 msg/s at the end")
	hopsSet := false
	fs.Var(defaultsListFlag{&cfg.HopURLs, &hopsSet}, "hop-url", "a service's /metrics with bank_hop_seconds histograms, repeatable (default: --metrics-url and the gateway's /metrics beside --graphql-url; '' for none)")
	fs.IntVar(&cfg.SampleEvery, "sample-every", cfg.SampleEvery, "sample CPU and memory every this many loops")
	fs.StringVar(&cfg.Sampler, "sampler", cfg.Sampler, "proc (local processes), docker (containers) or none")
	fs.Var(listFlag{&cfg.Components}, "component", "component to sample, repeatable: proc: name=port:N or name=cmd:REGEX; docker: a compose service name or glob (default: the local stack by its ports, or every container)")
	fs.StringVar(&cfg.DockerSocket, "docker-socket", cfg.DockerSocket, "Docker Engine API socket (sampler docker)")
	fs.IntVar(&cfg.WarmupOK, "warmup-ok", cfg.WarmupOK, "unrecorded warm-up interactions until this many in a row are visible within the time-out (0: none)")
	fs.Var(durationFlag{&cfg.WarmupMax}, "warmup-max", "give up warming up after this long")
	fs.IntVar(&cfg.ExtraClients, "extra-clients", cfg.ExtraClients, "concurrent API clients adding load of their own")
	fs.Float64Var(&cfg.ExtraClientRate, "extra-client-rate", cfg.ExtraClientRate, "interactions per second of each extra client")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if !hopsSet {
		cfg.HopURLs = defaultHopURLs(cfg)
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.Output == "" {
		cfg.Output = filepath.Join("results", fmt.Sprintf("%s-%s.jsonl", cfg.Category, time.Now().UTC().Format("20060102T150405Z")))
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Output), 0o755); err != nil {
		return err
	}

	var resources run.ResourceSampler
	switch cfg.Sampler {
	case "proc":
		if len(cfg.Components) == 0 {
			cfg.Components = localComponents(cfg)
		}
		var comps []sampler.Component
		for _, spec := range cfg.Components {
			c, err := sampler.ParseComponent(spec)
			if err != nil {
				return err
			}
			comps = append(comps, c)
		}
		ps, err := sampler.New("/proc", comps)
		if err != nil {
			return err
		}
		resources = procSampler{ps}
	case "docker":
		resources = dockersample.New(cfg.DockerSocket, cfg.Components)
	}

	var drv driver.Driver
	switch cfg.Driver {
	case "api":
		drv = driver.NewAPI(cfg.GraphQLURL)
	case "browser":
		drv = driver.NewBrowser(cfg.FrontendURL, cfg.GraphQLURL, cfg.Chromium, log)
	}

	out, err := result.Create(cfg.Output)
	if err != nil {
		return err
	}
	r := &run.Runner{Config: cfg, Driver: drv, Sampler: resources, Out: out, Log: log,
		Machine: run.ThisMachine(), Versions: run.TheseVersions(), Progress: os.Stderr, Live: isTerminal(os.Stderr)}
	if b, ok := drv.(interface{ BrowserVersion() string }); ok {
		r.Versions.Chromium = b.BrowserVersion()
	}
	r.History = countHistory(log)
	if cfg.HeartbeatURL != "" {
		r.Heartbeat = heartbeat.New(cfg.HeartbeatURL, os.Getenv("HEARTBEAT_CONTROL_TOKEN"))
	}
	if cfg.ExtraClients > 0 {
		r.Extra = &driver.ExtraClients{URL: cfg.GraphQLURL, Clients: cfg.ExtraClients, Rate: cfg.ExtraClientRate}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(os.Stderr, "loadtest: %s profile, %s driver, category %s → %s (Ctrl-C ends the run and keeps the data)\n",
		cfg.Profile, cfg.Driver, cfg.Category, cfg.Output)
	end, runErr := r.Run(ctx)
	if r.Live {
		fmt.Fprintln(os.Stderr)
	}
	closeErr := out.Close()
	breaking := ""
	if end.BreakingLoad != nil {
		breaking = fmt.Sprintf(", breaking point %.0f msg/s", *end.BreakingLoad)
	}
	fmt.Fprintf(os.Stderr, "loadtest: ended (%s) after %d loops, %d time-outs, %d errors%s; result in %s\n",
		end.Reason, end.Loops, end.Timeouts, end.Errors, breaking, cfg.Output)
	return errors.Join(runErr, closeErr)
}

type procSampler struct{ s *sampler.Sampler }

func (p procSampler) Sample(context.Context) (map[string]result.Component, error) {
	return p.s.Sample(time.Now())
}

// localComponents finds the local stack's parts by the ports they listen on:
// the infrastructure from the stack's environment (source $STACK_DIR/env),
// the services from the URLs the load test uses.
func localComponents(cfg run.Config) []string {
	var out []string
	add := func(name string, port int) {
		if port > 0 {
			out = append(out, fmt.Sprintf("%s=port:%d", name, port))
		}
	}
	add("kafka", portOf(firstOf(os.Getenv("KAFKA_BROKERS"), "127.0.0.1:9092"), 0))
	add("schema-registry", portOf(firstOf(os.Getenv("SCHEMA_REGISTRY_URL"), "http://127.0.0.1:8081"), 0))
	dbPort, _ := strconv.Atoi(firstOf(os.Getenv("DB_PORT"), "5432"))
	add("postgres", dbPort)
	add("command-handler", portOf(cfg.MetricsURL, 8090))
	add("graphql-endpoint", portOf(cfg.GraphQLURL, 8888))
	add("heartbeat", portOf(cfg.HeartbeatURL, 17888))
	add("command-generator", portOf(cfg.GeneratorURL, 8091))
	return out
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// portOf is the port of a URL or host:port (the first of a list), or def.
func portOf(s string, def int) int {
	if s == "" {
		return def
	}
	s = strings.Split(s, ",")[0]
	if u, err := url.Parse(s); err == nil && u.Host != "" {
		s = u.Host
	}
	if _, p, err := net.SplitHostPort(s); err == nil {
		if n, err := strconv.Atoi(p); err == nil {
			return n
		}
	}
	return def
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// defaultHopURLs are the command handler's /metrics and the gateway's, which
// listens where its GraphQL endpoint does.
func defaultHopURLs(cfg run.Config) []string {
	var out []string
	if cfg.MetricsURL != "" {
		out = append(out, cfg.MetricsURL)
	}
	if u, err := url.Parse(cfg.GraphQLURL); err == nil && u.Host != "" {
		out = append(out, "http://"+u.Host+"/metrics")
	}
	return out
}

// countHistory counts the commands of the bank on the stack of the
// environment (KAFKA_BROKERS); nil when its settings are not valid.
func countHistory(log *slog.Logger) func(context.Context) (int64, error) {
	cfg, err := kafkaFromEnv("loadtest")
	if err != nil {
		return nil
	}
	return func(ctx context.Context) (int64, error) {
		admin, err := messaging.NewAdmin(cfg, log)
		if err != nil {
			return 0, err
		}
		defer admin.Close()
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return historySize(ctx, admin)
	}
}
