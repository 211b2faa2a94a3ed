package topology

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"
)

// OpsServer serves a service's /healthz, /readyz and /metrics on its HTTP
// port; a service may add its own routes to Mux.
type OpsServer struct {
	Mux   *http.ServeMux
	ready atomic.Bool
	srv   *http.Server
	errs  chan error
}

// StartOps listens on port. /readyz answers 503 with starting until
// SetReady is called.
func StartOps(port int, metrics http.Handler, starting string) *OpsServer {
	o := &OpsServer{Mux: http.NewServeMux(), errs: make(chan error, 1)}
	o.Mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	o.Mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !o.ready.Load() {
			http.Error(w, "starting: "+starting, http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	o.Mux.Handle("GET /metrics", metrics)
	o.srv = &http.Server{Addr: fmt.Sprintf(":%d", port), Handler: o.Mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := o.srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			o.errs <- fmt.Errorf("serve HTTP on :%d: %w", port, err)
		}
	}()
	return o
}

// SetReady makes /readyz answer 200.
func (o *OpsServer) SetReady() { o.ready.Store(true) }

// Err delivers the error that stopped the server, if it stops on its own.
func (o *OpsServer) Err() <-chan error { return o.errs }

// Shutdown stops the server, waiting up to 2 s for requests under way.
func (o *OpsServer) Shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = o.srv.Shutdown(ctx)
}
