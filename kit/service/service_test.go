package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"openbank/kit/scrape"
)

// mapEnv is the part of env.Env the skeleton uses, over a map.
type mapEnv struct {
	vars map[string]string
	errs []error
}

func (e *mapEnv) String(name, def, _ string) string {
	if v, ok := e.vars[name]; ok {
		return v
	}
	return def
}

func (e *mapEnv) Int(name string, def, lo, hi int, _ string) int {
	v, ok := e.vars[name]
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: out of range", name, v))
		return def
	}
	return n
}

func (e *mapEnv) Check(ok bool, name, want string) {
	if !ok {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: %s", name, e.vars[name], want))
	}
}

func (e *mapEnv) Err() error { return errors.Join(e.errs...) }

func TestReadConfig(t *testing.T) {
	for _, tc := range []struct {
		vars    map[string]string
		want    Config
		badVars []string
	}{
		{vars: map[string]string{}, want: Config{HTTPPort: 8090, LogLevel: slog.LevelInfo, Grace: DefaultGrace}},
		{vars: map[string]string{"HTTP_PORT": "9000", "PPROF_PORT": "6060", "LOG_LEVEL": "DEBUG"},
			want: Config{HTTPPort: 9000, PprofPort: 6060, LogLevel: slog.LevelDebug, Grace: DefaultGrace}},
		{vars: map[string]string{"LOG_LEVEL": "warn"}, want: Config{HTTPPort: 8090, LogLevel: slog.LevelWarn, Grace: DefaultGrace}},
		{vars: map[string]string{"LOG_LEVEL": "loud", "HTTP_PORT": "0"}, badVars: []string{"LOG_LEVEL", "HTTP_PORT"}},
		{vars: map[string]string{"HTTP_PORT": "7000", "PPROF_PORT": "7000"}, badVars: []string{"PPROF_PORT"}},
		{vars: map[string]string{"LISTEN_HOST": "::1"}, want: Config{HTTPPort: 8090, ListenHost: "::1", LogLevel: slog.LevelInfo, Grace: DefaultGrace}},
		{vars: map[string]string{"LISTEN_HOST": "localhost"}, badVars: []string{"LISTEN_HOST"}},
		{vars: map[string]string{"LISTEN_HOST": "127.0.0.1:8090"}, badVars: []string{"LISTEN_HOST"}},
	} {
		env := &mapEnv{vars: tc.vars}
		got := ReadConfig(env, 8090)
		err := env.Err()
		if len(tc.badVars) == 0 {
			if err != nil || got != tc.want {
				t.Errorf("%v: got %+v, %v; want %+v", tc.vars, got, err, tc.want)
			}
			continue
		}
		for _, name := range tc.badVars {
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%v: error %v does not name %s", tc.vars, err, name)
			}
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// serving runs app under run and returns once the ops server answers.
func serving(t *testing.T, cfg Config, app App) (base string, done <-chan error, cancel func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 1)
	ops := NewOps(Config{})
	go func() { errs <- run(ctx, cfg, slog.New(slog.DiscardHandler), ops, app) }()
	base = fmt.Sprintf("http://127.0.0.1:%d", cfg.HTTPPort)
	for {
		if _, err := http.Get(base + "/healthz"); err == nil {
			return base, errs, cancel
		}
		select {
		case err := <-errs:
			t.Fatalf("run returned before serving: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func TestOpsServerReadinessAndMetrics(t *testing.T) {
	cfg := Config{HTTPPort: freePort(t), PprofPort: freePort(t)}
	var dbDown atomic.Bool
	ready := make(chan struct{})
	proceed := make(chan struct{})
	base, done, cancel := serving(t, cfg, func(ctx context.Context, ops *Ops) error {
		ops.Starting("reading the last beat")
		ops.AddCheck("database", func(context.Context) error {
			if dbDown.Load() {
				return errors.New("connection refused")
			}
			return nil
		})
		ops.Mux.HandleFunc("GET /own", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("mine")) })
		close(ready)
		<-proceed
		ops.SetReady(true)
		<-ctx.Done()
		return nil
	})
	defer cancel()
	<-ready
	if code, body := get(t, base+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "reading the last beat") {
		t.Errorf("/readyz while starting: %d %q", code, body)
	}
	close(proceed)
	for {
		if code, _ := get(t, base+"/readyz"); code == http.StatusOK {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	dbDown.Store(true)
	if code, body := get(t, base+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "database: connection refused") {
		t.Errorf("/readyz with the database down: %d %q", code, body)
	}
	if code, body := get(t, base+"/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if code, body := get(t, base+"/own"); code != http.StatusOK || body != "mine" {
		t.Errorf("/own: %d %q", code, body)
	}
	code, body := get(t, base+"/metrics")
	if code != http.StatusOK || !strings.Contains(body, "go_goroutines") || !strings.Contains(body, "process_cpu_seconds_total") {
		t.Errorf("/metrics lacks the Go and process collectors: %d", code)
	}
	if code, _ := get(t, fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/", cfg.PprofPort)); code != http.StatusOK {
		t.Errorf("pprof: %d", code)
	}
	if code, _ := get(t, base+"/debug/pprof/"); code != http.StatusNotFound {
		t.Errorf("pprof on HTTP_PORT: %d, want 404", code)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("the ops server still answers after run returned")
	}
}

// Every address in 127.0.0.0/8 reaches this machine, but a port bound to
// 127.0.0.1 alone does not answer on 127.0.0.2: the test tells what listens
// on every interface from what listens on one.
func TestListenHostBindsEveryPortToIt(t *testing.T) {
	answers := func(host string, port int) bool {
		conn, err := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(port)), time.Second)
		if err == nil {
			conn.Close()
		}
		return err == nil
	}
	for _, tc := range []struct {
		host      string
		elsewhere bool // answers on 127.0.0.2 too
	}{{"127.0.0.1", false}, {"", true}} {
		cfg := Config{ListenHost: tc.host, HTTPPort: freePort(t), OpsPort: freePort(t)}
		err := run(context.Background(), cfg, slog.New(slog.DiscardHandler), NewOps(cfg), func(_ context.Context, _ *Ops) error {
			for _, port := range []int{cfg.HTTPPort, cfg.OpsPort} {
				if !answers("127.0.0.1", port) {
					return fmt.Errorf("LISTEN_HOST=%q: port %d does not answer on 127.0.0.1", tc.host, port)
				}
				if got := answers("127.0.0.2", port); got != tc.elsewhere {
					return fmt.Errorf("LISTEN_HOST=%q: port %d answers on 127.0.0.2: %v, want %v", tc.host, port, got, tc.elsewhere)
				}
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	}
}

func TestServeListensBesideTheOpsServerAndStopsWithIt(t *testing.T) {
	extra := freePort(t)
	url := fmt.Sprintf("http://127.0.0.1:%d/", extra)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("extra")) })
	err := run(context.Background(), Config{HTTPPort: freePort(t)}, slog.New(slog.DiscardHandler), NewOps(Config{}),
		func(_ context.Context, ops *Ops) error {
			if err := ops.Serve("EXTRA_PORT", fmt.Sprintf("127.0.0.1:%d", extra), mux, nil); err != nil {
				return err
			}
			resp, err := http.Get(url)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if body, _ := io.ReadAll(resp.Body); string(body) != "extra" {
				return fmt.Errorf("the extra listener answered %q", body)
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(url); err == nil {
		t.Error("the extra listener still answers after run returned")
	}
}

func TestRunReturnsTheAppsError(t *testing.T) {
	boom := errors.New("boom")
	err := run(context.Background(), Config{HTTPPort: freePort(t)}, slog.New(slog.DiscardHandler), NewOps(Config{}),
		func(context.Context, *Ops) error { return boom })
	if !errors.Is(err, boom) {
		t.Errorf("run: %v, want boom", err)
	}
}

func TestRunNamesTheBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	called := false
	err = run(context.Background(), Config{HTTPPort: port}, slog.New(slog.DiscardHandler), NewOps(Config{}),
		func(context.Context, *Ops) error { called = true; return nil })
	if err == nil || !strings.Contains(err.Error(), "HTTP_PORT") || called {
		t.Errorf("run on a busy port: %v (app called: %v), want an error naming HTTP_PORT before the app runs", err, called)
	}
}

func TestBoundExitsWhenShutdownOutlivesGrace(t *testing.T) {
	exited := make(chan int, 1)
	exit = func(code int) { exited <- code }
	defer func() { exit = osExit }()
	ctx, cancel := context.WithCancel(context.Background())
	disarm := bound(ctx, time.Millisecond, slog.New(slog.DiscardHandler))
	defer disarm()
	cancel()
	if code := <-exited; code != 1 {
		t.Errorf("exit(%d), want 1", code)
	}

	ctx, cancel = context.WithCancel(context.Background())
	disarm = bound(ctx, time.Hour, slog.New(slog.DiscardHandler))
	cancel()
	disarm() // a shutdown within grace: nothing left armed
	select {
	case code := <-exited:
		t.Errorf("exit(%d) after disarm", code)
	default:
	}
}

func TestOpsPortTakesMetricsOffThePublicPort(t *testing.T) {
	cfg := Config{HTTPPort: freePort(t), OpsPort: freePort(t)}
	var listened atomic.Bool
	cfg.Public = &Public{ReadTimeout: time.Second, Listener: func(ln net.Listener) net.Listener {
		listened.Store(true)
		return ln
	}}
	ops := NewOps(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		done <- run(ctx, cfg, slog.New(slog.DiscardHandler), ops, func(ctx context.Context, ops *Ops) error {
			ops.Private.HandleFunc("GET /tool", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("tool")) })
			ops.SetReady(true)
			close(ready)
			<-ctx.Done()
			return nil
		})
	}()
	select {
	case <-ready:
	case err := <-done: // a port taken meanwhile, say: fail, not hang
		t.Fatalf("run stopped before serving: %v", err)
	}
	public := fmt.Sprintf("http://127.0.0.1:%d", cfg.HTTPPort)
	private := fmt.Sprintf("http://127.0.0.1:%d", cfg.OpsPort)
	for path, want := range map[string][2]int{
		"/healthz": {200, 200}, "/readyz": {200, 200}, "/metrics": {404, 200}, "/tool": {404, 200},
	} {
		if code, _ := get(t, public+path); code != want[0] {
			t.Errorf("HTTP_PORT %s: %d, want %d", path, code, want[0])
		}
		if code, _ := get(t, private+path); code != want[1] {
			t.Errorf("OPS_PORT %s: %d, want %d", path, code, want[1])
		}
	}
	if !listened.Load() {
		t.Error("Public.Listener was not used on HTTP_PORT")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}

func TestStopEndsRunWithItsCause(t *testing.T) {
	consumerDown := errors.New("consumer failed")
	err := run(context.Background(), Config{HTTPPort: freePort(t)}, slog.New(slog.DiscardHandler), NewOps(Config{}),
		func(ctx context.Context, ops *Ops) error {
			ops.Stop(consumerDown)
			<-ctx.Done()
			return nil
		})
	if !errors.Is(err, consumerDown) {
		t.Errorf("run: %v, want the cause given to Stop", err)
	}
}

func TestMainOrMigrateRunsOnlyTheMigration(t *testing.T) {
	var code atomic.Int32
	code.Store(-1)
	exit = func(c int) { code.Store(int32(c)) }
	defer func() { exit = osExit }()
	args := os.Args
	defer func() { os.Args = args }()
	app := func(context.Context, *Ops) error { t.Error("the service ran"); return nil }
	log := slog.New(slog.DiscardHandler)

	os.Args = []string{"svc", "migrate"}
	migrated := false
	MainOrMigrate("svc", Config{}, log, app, func(context.Context) error { migrated = true; return nil })
	if !migrated || code.Load() != -1 {
		t.Errorf("migrate: migrated %v, exit %d; want migrated and no exit", migrated, code.Load())
	}
	MainOrMigrate("svc", Config{}, log, app, func(context.Context) error { return errors.New("database away") })
	if code.Load() != 1 {
		t.Errorf("a failed migration: exit %d, want 1", code.Load())
	}
	os.Args = []string{"svc", "migrat"}
	MainOrMigrate("svc", Config{}, log, app, func(context.Context) error { t.Error("migrated"); return nil })
	if code.Load() != 2 {
		t.Errorf("an unknown argument: exit %d, want 2 (usage)", code.Load())
	}
}

// TestBuildInfo: /metrics serves bank_build_info, 1, with its labels and
// help, in the text format the load test reads.
func TestBuildInfo(t *testing.T) {
	ops := NewOps(Config{Name: "heartbeat"})
	rec := httptest.NewRecorder()
	ops.Private.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if ct := rec.Header().Get("Content-Type"); rec.Code != http.StatusOK || !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Fatalf("/metrics: %d %s", rec.Code, ct)
	}
	if !strings.Contains(rec.Body.String(), "# HELP "+BuildInfoMetric+" Always 1: ") {
		t.Errorf("no help for %s", BuildInfoMetric)
	}
	m, err := scrape.Parse(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	labels := m.Labels(BuildInfoMetric)
	if len(labels) != 1 || labels[0]["service"] != "heartbeat" || labels[0]["go_version"] != runtime.Version() {
		t.Fatalf("labels %v", labels)
	}
	if v := m.Value(BuildInfoMetric, "service", "heartbeat"); v != 1 {
		t.Errorf("value %g", v)
	}
}

// TestMainSetsTheServicesRuntimeTargets: Main gives the runtime the
// service's GOGC and GOMEMLIMIT defaults, unless the variables are set.
func TestMainSetsTheServicesRuntimeTargets(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	log := slog.New(slog.DiscardHandler)
	main := func(t *testing.T, cfg Config) (gcPercent int, limit int64) {
		t.Helper()
		cfg.HTTPPort = freePort(t)
		Main("svc", cfg, log, func(context.Context, *Ops) error {
			gcPercent = debug.SetGCPercent(-1)
			debug.SetGCPercent(gcPercent)
			limit = debug.SetMemoryLimit(-1)
			return nil
		})
		return gcPercent, limit
	}
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	os.Unsetenv("GOGC")
	os.Unsetenv("GOMEMLIMIT")
	if gc, limit := main(t, Config{GCPercent: 25, MemoryLimit: 32 << 20}); gc != 25 || limit != 32<<20 {
		t.Errorf("defaults: GOGC %d, limit %d; want 25 and 32 MiB", gc, limit)
	}
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)
	t.Setenv("GOGC", "100") // the runtime read it at start; Main leaves it alone
	t.Setenv("GOMEMLIMIT", "1GiB")
	if gc, limit := main(t, Config{GCPercent: 25, MemoryLimit: 32 << 20}); gc != 100 || limit != math.MaxInt64 {
		t.Errorf("with GOGC and GOMEMLIMIT set: GOGC %d, limit %d; want them left to the runtime", gc, limit)
	}
}
