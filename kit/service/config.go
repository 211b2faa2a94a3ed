// Package service is the skeleton every long-running service of the bank
// shares: its configuration (HTTP_PORT, LISTEN_HOST, PPROF_PORT, LOG_LEVEL), a JSON log on
// stderr, one ops server (health, readiness, metrics, optional pprof) and a
// run loop that stops on SIGINT/SIGTERM within a bounded time.
//
// A main reads its configuration (its own and, with ReadConfig, the
// skeleton's), stops with one message naming every bad variable
// (CheckConfig), and hands the application to Main.
package service

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"openbank/kit/env"
)

// Env reads configuration and collects every problem; env.Env is one.
type Env interface {
	String(name, def, doc string) string
	Int(name string, def, min, max int, doc string) int
	Check(ok bool, name, want string)
	Err() error
}

// Config is the configuration every service reads the same way.
type Config struct {
	// Name is the service's, set by Main: it labels the build info.
	Name string
	// HTTPPort serves /healthz, /readyz, /metrics and the service's own routes.
	HTTPPort int
	// ListenHost is the address every port of the service but pprof's listens
	// on (Addr); empty: every interface, as a container needs.
	ListenHost string
	// OpsPort, when not 0, takes /metrics and Ops.Private's routes off
	// HTTP_PORT onto a port of their own (a service whose HTTP_PORT is public
	// sets it from OPS_PORT); both ports answer /healthz and /readyz.
	OpsPort int
	// Public tunes HTTP_PORT's server for clients from the internet; nil
	// keeps the defaults, fit for a port only the cluster reaches.
	Public *Public
	// PprofPort serves net/http/pprof on 127.0.0.1; 0 leaves it off.
	PprofPort int
	LogLevel  slog.Level
	// Grace bounds the shutdown after a signal; past it the process exits.
	Grace time.Duration
	// MemoryLimit is the soft limit Main gives the Go runtime unless
	// GOMEMLIMIT is set (SoftMemoryLimit declares it); 0: none.
	MemoryLimit int64
	// GCPercent is the collector's target Main sets unless GOGC is set
	// (GCPercent declares it); 0: Go's default of 100.
	GCPercent int
}

// Public is what a service open to the internet sets on HTTP_PORT's server.
type Public struct {
	ReadTimeout    time.Duration // the whole request, body included
	IdleTimeout    time.Duration // keep-alive between requests
	MaxHeaderBytes int
	// Listener wraps HTTP_PORT's listener (to cap each client's connections, say).
	Listener func(net.Listener) net.Listener
}

// DefaultGrace fits in Kubernetes' default 30 s termination grace and
// Docker's 10 s stop timeout; anything a service leaves undone is safe to
// redo (uncommitted offsets are read again).
const DefaultGrace = 9 * time.Second

// ReadConfig reads HTTP_PORT (defaultHTTPPort when unset), LISTEN_HOST,
// PPROF_PORT and LOG_LEVEL.
func ReadConfig(env Env, defaultHTTPPort int) Config {
	declareGOMAXPROCS()
	c := Config{
		HTTPPort: env.Int("HTTP_PORT", defaultHTTPPort, 1, 65535, "`/healthz`, `/readyz`, `/metrics` and the service's own routes"),
		ListenHost: env.String("LISTEN_HOST", "", "the IP address the service's ports listen on; empty: every interface, as in a container. "+
			"The local stack sets 127.0.0.1 ([security.md](security.md#what-listens-where))"),
		PprofPort: env.Int("PPROF_PORT", 0, 0, 65535, "`net/http/pprof` on 127.0.0.1"),
		LogLevel:  ReadLogLevel(env),
		Grace:     DefaultGrace,
	}
	env.Check(c.ListenHost == "" || net.ParseIP(c.ListenHost) != nil, "LISTEN_HOST", "want an IP address (127.0.0.1, ::1, 0.0.0.0) or nothing")
	env.Check(c.PprofPort == 0 || c.PprofPort != c.HTTPPort, "PPROF_PORT", "want a port other than HTTP_PORT")
	return c
}

// Addr is where a port of the service listens: ListenHost's, or every interface's.
func (c Config) Addr(port int) string { return net.JoinHostPort(c.ListenHost, strconv.Itoa(port)) }

// ReadLogLevel reads LOG_LEVEL (debug, info, warn or error; info when unset),
// for programs that run once and serve nothing.
func ReadLogLevel(env Env) slog.Level {
	var level slog.Level
	err := level.UnmarshalText([]byte(strings.ToLower(env.String("LOG_LEVEL", "info", "JSON log on stderr (the synchronizer reads it too)"))))
	env.Check(err == nil, "LOG_LEVEL", "want debug, info, warn or error")
	return level
}

// NewLogger logs JSON to stderr from level up.
func NewLogger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// CheckConfig stops the process (exit status 2) when err, the problems
// found reading the configuration, is not nil: it names each bad variable.
// Run as `PROGRAM settings`, the program instead prints every variable it
// has read, as declared (env.Settings, JSON), and exits: what
// docs/configuration.md and deploy/checks are made from.
func CheckConfig(log *slog.Logger, err error) {
	if len(os.Args) == 2 && os.Args[1] == "settings" {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(env.Settings()); err != nil {
			log.Error("print settings", "error", err)
			exit(1)
		}
		exit(0)
	}
	if err != nil {
		log.Error("configuration", "error", err)
		exit(2)
	}
}

// Usage stops the process (exit status 2) after printing how to call it.
func Usage(line string) {
	fmt.Fprintln(os.Stderr, "usage:", line)
	exit(2)
}

// exit is os.Exit, replaced in tests.
var exit = osExit

var osExit = os.Exit

// SoftMemoryLimit declares GOMEMLIMIT with this service's default of mib
// MiB and returns it for Config.MemoryLimit. Near the limit the collector
// runs sooner and returns freed pages to the system, so a burst (a large
// fetch, a backlog) does not leave the process holding its peak; the limit is
// soft, so the live heap may pass it at the price of CPU.
func SoftMemoryLimit(mib int) int64 {
	env.Declare(env.Setting{Name: "GOMEMLIMIT", Type: "size", Default: fmt.Sprintf("%dMiB", mib), Range: "Go's",
		Doc: "the Go runtime's soft memory limit (heap, stacks, runtime; not the mapped binary); the runtime reads it itself"})
	return int64(mib) << 20
}

// GCPercent declares GOGC with this service's default of percent and returns
// it for Config.GCPercent: a service whose heap is mostly short-lived garbage
// holds less at a small price in CPU when it collects sooner than Go's +100%.
func GCPercent(percent int) int {
	env.Declare(env.Setting{Name: "GOGC", Type: "integer", Unit: "%", Default: strconv.Itoa(percent), Range: "Go's",
		Doc: "the garbage collector's target; Go's default is 100"})
	return percent
}

// declareGOMAXPROCS shows GOMAXPROCS, which Main reads before the Go
// runtime does (run.go), in the table of every service.
func declareGOMAXPROCS() {
	env.Declare(env.Setting{Name: "GOMAXPROCS", Type: "integer", Unit: "threads", Default: "1",
		Doc: "threads running Go code at once; one spares the scheduler's hand-offs ([latency.md](latency.md#one-thread))"})
}
