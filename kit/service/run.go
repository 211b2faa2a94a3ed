package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// App is a service's work: it runs until ctx ends or it fails. It calls
// ops.SetReady(true) once it serves.
type App func(ctx context.Context, ops *Ops) error

// OneThread runs Go code on one thread unless GOMAXPROCS says otherwise:
// each service is mostly waiting on Kafka and PostgreSQL, and one thread
// spares the scheduler's hand-offs between two (18–30 % less CPU at 1,000
// msg/s, docs/latency.md).
func OneThread() {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
}

// Main runs app with Run, on OneThread, under cfg.MemoryLimit and with
// cfg.GCPercent, and exits the process: status 0 after a clean stop, 1 when it
// fails.
func Main(name string, cfg Config, log *slog.Logger, app App) {
	OneThread()
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set && cfg.MemoryLimit > 0 {
		debug.SetMemoryLimit(cfg.MemoryLimit)
	}
	if _, set := os.LookupEnv("GOGC"); !set && cfg.GCPercent > 0 {
		debug.SetGCPercent(cfg.GCPercent)
	}
	cfg.Name = name
	if err := Run(cfg, log, app); err != nil {
		log.Error(name+" stopped", "error", err)
		exit(1)
	}
	log.Info(name + " stopped")
}

// MainOrMigrate is Main for a service with a database. Called with the one
// argument `migrate`, it only runs migrate (apply the schema) and exits,
// status 1 when that fails; other arguments print the usage.
// MigrateOnly says whether the program was started as `PROGRAM migrate`: it
// then needs only its database settings, not the secrets of its work.
func MigrateOnly() bool { return len(os.Args) == 2 && os.Args[1] == "migrate" }

func MainOrMigrate(name string, cfg Config, log *slog.Logger, app App, migrate func(context.Context) error) {
	switch {
	case len(os.Args) == 1:
		Main(name, cfg, log, app)
	case MigrateOnly():
		if err := migrate(context.Background()); err != nil {
			log.Error("migrate", "error", err)
			exit(1)
		}
	default:
		Usage(filepath.Base(os.Args[0]) + " [migrate]")
	}
}

// Run serves the ops server on cfg.HTTPPort (and pprof on cfg.PprofPort),
// then runs app until it returns, SIGINT or SIGTERM arrives, or the server
// fails. A shutdown that takes longer than cfg.Grace exits the process.
func Run(cfg Config, log *slog.Logger, app App) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	ops := NewOps(cfg)
	ops.stop = cancel
	defer bound(ctx, cfg.Grace, log)()
	return run(ctx, cfg, log, ops, app)
}

func run(ctx context.Context, cfg Config, log *slog.Logger, ops *Ops, app App) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if ops.stop == nil {
		ops.stop = cancel
	}
	l := &listeners{ctx: ctx, fail: cancel}
	ops.listeners = l
	defer l.stopAll()
	if err := l.serve("HTTP_PORT", cfg.Addr(cfg.HTTPPort), ops, cfg.Public); err != nil {
		return err
	}
	if cfg.OpsPort != 0 {
		if err := l.serve("OPS_PORT", cfg.Addr(cfg.OpsPort), ops.Private, nil); err != nil {
			return err
		}
	}
	if cfg.PprofPort != 0 {
		// Loopback only: profiles show the program's internals.
		if err := l.serve("PPROF_PORT", "127.0.0.1:"+strconv.Itoa(cfg.PprofPort), pprofMux(), nil); err != nil {
			return err
		}
	}
	err := app(ctx, ops)
	ops.SetReady(false)
	if cause := context.Cause(ctx); err == nil && cause != nil && !errors.Is(cause, context.Canceled) {
		err = cause // a server failed and stopped the app
	}
	return err
}

// listeners are the HTTP servers of one run: every port a service listens
// on is served by the same set-up and shut down together when the app returns.
type listeners struct {
	ctx     context.Context
	fail    context.CancelCauseFunc // stops the run when a server fails
	mu      sync.Mutex
	wg      sync.WaitGroup
	started []*http.Server
	stopped bool
}

// serve listens on addr (named by its variable, for errors) and serves h
// until the run ends; public, when not nil, bounds its requests and wraps
// its listener.
func (l *listeners) serve(name, addr string, h http.Handler, public *Public) error {
	// Requests live in ctx: long ones (a WebSocket, say) end when shutdown begins.
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 5 * time.Second,
		BaseContext: func(net.Listener) context.Context { return l.ctx }}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s %s: %w", name, addr, err)
	}
	if public != nil {
		srv.ReadTimeout, srv.IdleTimeout, srv.MaxHeaderBytes = public.ReadTimeout, public.IdleTimeout, public.MaxHeaderBytes
		if public.Listener != nil {
			ln = public.Listener(ln)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped {
		_ = ln.Close()
		return fmt.Errorf("listen on %s %s: the service is stopping", name, addr)
	}
	l.started = append(l.started, srv)
	l.wg.Go(func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			l.fail(fmt.Errorf("serve %s %s: %w", name, addr, err))
		}
	})
	return nil
}

// stopAll shuts every server down; the app has returned by then.
func (l *listeners) stopAll() {
	l.mu.Lock()
	l.stopped = true
	started := l.started
	l.mu.Unlock()
	for _, srv := range started {
		shutdown(srv)
	}
	l.wg.Wait()
}

// shutdown stops srv, waiting a moment for requests under way.
func shutdown(srv *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}

// bound exits the process when a shutdown begun by ctx's end takes longer
// than grace (the database gone, say); the returned func disarms it.
func bound(ctx context.Context, grace time.Duration, log *slog.Logger) (disarm func()) {
	var mu sync.Mutex
	var timer *time.Timer
	done := false
	stopWatch := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if !done {
			timer = time.AfterFunc(grace, func() {
				log.Error("shutdown took too long; exiting", "grace", grace)
				exit(1)
			})
		}
	})
	return func() {
		stopWatch()
		mu.Lock()
		defer mu.Unlock()
		done = true
		if timer != nil {
			timer.Stop()
		}
	}
}
