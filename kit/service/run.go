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

// Main runs app with Run, on OneThread, and exits the process: status 0
// after a clean stop, 1 when it fails.
func Main(name string, cfg Config, log *slog.Logger, app App) {
	OneThread()
	if err := Run(cfg, log, app); err != nil {
		log.Error(name+" stopped", "error", err)
		exit(1)
	}
	log.Info(name + " stopped")
}

// MainOrMigrate is Main for a service with a database. Called with the one
// argument `migrate`, it only runs migrate (apply the schema) and exits,
// status 1 when that fails; other arguments print the usage.
func MainOrMigrate(name string, cfg Config, log *slog.Logger, app App, migrate func(context.Context) error) {
	switch {
	case len(os.Args) == 1:
		Main(name, cfg, log, app)
	case len(os.Args) == 2 && os.Args[1] == "migrate":
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
	// Requests live in ctx: long ones (a WebSocket, say) end when shutdown begins.
	base := func(net.Listener) context.Context { return ctx }
	public := &http.Server{Addr: ":" + strconv.Itoa(cfg.HTTPPort), Handler: ops, ReadHeaderTimeout: 5 * time.Second,
		BaseContext: base}
	wrap := func(ln net.Listener) net.Listener { return ln }
	if p := cfg.Public; p != nil {
		public.ReadTimeout, public.IdleTimeout, public.MaxHeaderBytes = p.ReadTimeout, p.IdleTimeout, p.MaxHeaderBytes
		if p.Listener != nil {
			wrap = p.Listener
		}
	}
	servers := []*http.Server{public}
	names := []string{"HTTP_PORT"}
	if cfg.OpsPort != 0 {
		servers = append(servers, &http.Server{Addr: ":" + strconv.Itoa(cfg.OpsPort), Handler: ops.Private,
			ReadHeaderTimeout: 5 * time.Second, BaseContext: base})
		names = append(names, "OPS_PORT")
	}
	if cfg.PprofPort != 0 {
		// Loopback only: profiles show the program's internals.
		servers = append(servers, &http.Server{Addr: "127.0.0.1:" + strconv.Itoa(cfg.PprofPort), Handler: pprofMux(),
			ReadHeaderTimeout: 5 * time.Second})
		names = append(names, "PPROF_PORT")
	}
	var wg sync.WaitGroup
	var started []*http.Server
	// Stops every server started; the app has returned by then.
	stopAll := func() {
		for _, srv := range started {
			shutdown(srv)
		}
		wg.Wait()
	}
	defer stopAll()
	for i, srv := range servers {
		ln, err := net.Listen("tcp", srv.Addr)
		if err != nil {
			return fmt.Errorf("listen on %s %s: %w", names[i], srv.Addr, err)
		}
		if srv == public {
			ln = wrap(ln)
		}
		started = append(started, srv)
		wg.Go(func() {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				cancel(fmt.Errorf("serve %s %s: %w", names[i], srv.Addr, err))
			}
		})
	}
	err := app(ctx, ops)
	ops.SetReady(false)
	if cause := context.Cause(ctx); err == nil && cause != nil && !errors.Is(cause, context.Canceled) {
		err = cause // the server failed and stopped the app
	}
	return err
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
