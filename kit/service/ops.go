package service

import (
	"context"
	"errors"
	"net/http"
	"net/http/pprof"
	"sync"
	"sync/atomic"
	"time"

	"openbank/kit/metric"
)

// Ops is a service's operational HTTP surface: /healthz (the process runs),
// /readyz (it has started and every readiness check passes) and /metrics
// (its own metrics, with the Go runtime's and the process's, in the text
// format). A service adds its own routes to Mux and its metrics to Metrics.
type Ops struct {
	// Mux is what HTTP_PORT serves.
	Mux *http.ServeMux
	// Private is what OPS_PORT serves (/metrics and tools for operators);
	// it is Mux when the service has no OPS_PORT.
	Private *http.ServeMux
	// Metrics is the service's set of metrics that /metrics serves.
	Metrics *metric.Set

	ready    atomic.Bool
	starting atomic.Pointer[string]
	mu       sync.Mutex
	checks   []check
	handler  atomic.Pointer[http.Handler]
	// stop begins the shutdown (Stop); set by Run.
	stop context.CancelCauseFunc
	// listeners serve every port of the run (Serve); set by Run.
	listeners *listeners
}

type check struct {
	name string
	f    func(context.Context) error
}

// checkTimeout bounds one readiness check: a probe must answer promptly.
const checkTimeout = time.Second

// NewOps returns the ops routes on a fresh set of metrics; /readyz answers 503
// until SetReady(true). With cfg.OpsPort set, /metrics is on Private alone.
func NewOps(cfg Config) *Ops {
	o := &Ops{Mux: http.NewServeMux(), Metrics: metric.NewSet()}
	o.Private = o.Mux
	if cfg.Name != "" {
		buildInfo(o.Metrics, cfg.Name)
	}
	o.Starting("starting")
	probes := func(mux *http.ServeMux) {
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
		mux.HandleFunc("GET /readyz", o.readyz)
	}
	probes(o.Mux)
	if cfg.OpsPort != 0 {
		o.Private = http.NewServeMux()
		probes(o.Private)
	}
	// A gauge that asks Kafka (a consumer's lag) must not hold a scrape for long.
	o.Private.Handle("GET /metrics", http.TimeoutHandler(metric.Handler(o.Metrics), 5*time.Second, "metrics took too long\n"))
	var h http.Handler = o.Mux
	o.handler.Store(&h)
	return o
}

// Serve serves h on addr beside the ops server, with the same set-up, until
// the service stops, when it is shut down with the others; name is the
// variable that sets addr (CONTROL_ADDR, say), for errors. public, when not
// nil, bounds its requests as HTTP_PORT's (Config.Public).
func (o *Ops) Serve(name, addr string, h http.Handler, public *Public) error {
	return o.listeners.serve(name, addr, h, public)
}

// Stop begins the shutdown as a signal does, bounded by the grace; the
// service's run then ends with cause (a consumer failed, say).
func (o *Ops) Stop(cause error) { o.stop(cause) }

// Starting says what the service is doing before it is ready (/readyz shows it).
func (o *Ops) Starting(what string) { o.starting.Store(&what) }

// SetReady makes /readyz run the readiness checks (true) or answer 503 (false).
func (o *Ops) SetReady(ready bool) { o.ready.Store(ready) }

// AddCheck adds a readiness check, such as a database ping.
func (o *Ops) AddCheck(name string, f func(context.Context) error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.checks = append(o.checks, check{name, f})
}

// Ready reports why the service is not ready, or nil.
func (o *Ops) Ready(ctx context.Context) error {
	if !o.ready.Load() {
		return errors.New("starting: " + *o.starting.Load())
	}
	o.mu.Lock()
	checks := append([]check(nil), o.checks...)
	o.mu.Unlock()
	for _, c := range checks {
		cctx, cancel := context.WithTimeout(ctx, checkTimeout)
		err := c.f(cctx)
		cancel()
		if err != nil {
			return errors.New(c.name + ": " + err.Error())
		}
	}
	return nil
}

func (o *Ops) readyz(w http.ResponseWriter, r *http.Request) {
	if err := o.Ready(r.Context()); err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

// Wrap puts middleware (CORS, say) around everything HTTP_PORT serves.
func (o *Ops) Wrap(middleware func(http.Handler) http.Handler) {
	h := middleware(*o.handler.Load())
	o.handler.Store(&h)
}

// ServeHTTP serves the routes, through any middleware added by Wrap.
func (o *Ops) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*o.handler.Load()).ServeHTTP(w, r)
}

// pprofMux serves the profiles of net/http/pprof.
func pprofMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
