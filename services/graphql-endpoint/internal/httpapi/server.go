// Package httpapi is the gateway's HTTP port: GraphQL over HTTP and WebSocket,
// GraphiQL, health, metrics and, when configured, the frontend's files.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/playground"
	coderws "github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/cors"
	"github.com/vektah/gqlparser/v2/ast"
)

// Limits protect the gateway from abusive requests.
type Limits struct {
	MaxDepth                  int           // fields deep
	MaxComplexity             int           // gqlgen complexity (1 per field by default)
	MaxRequestBytes           int64         // HTTP body and WebSocket message
	MaxSubscriptionsPerSocket int           // per WebSocket connection
	IdleTimeout               time.Duration // WebSocket without any subscription
	PingInterval              time.Duration // keep-alive; a dead peer is noticed within 2 intervals
}

// Config is the HTTP port's configuration.
type Config struct {
	Limits Limits
	// CORSOrigins are the browser origins allowed (e.g. http://localhost:8181);
	// "*" allows any.
	CORSOrigins []string
	// Ready says whether the gateway can serve (readiness probe).
	Ready func(ctx context.Context) error
	Log   *slog.Logger
}

// GraphQL returns the GraphQL handler: HTTP GET/POST and WebSocket in both
// sub-protocols (graphql-transport-ws and the legacy graphql-ws of
// subscriptions-transport-ws).
func GraphQL(es graphql.ExecutableSchema, cfg Config) http.Handler {
	l := cfg.Limits
	srv := handler.New(es)
	accept := coderws.AcceptOptions{CompressionMode: coderws.CompressionDisabled}
	if anyOrigin(cfg.CORSOrigins) {
		accept.InsecureSkipVerify = true // any origin may connect, as with CORS "*"
	} else {
		accept.OriginPatterns = originHosts(cfg.CORSOrigins)
	}
	readLimit := l.MaxRequestBytes
	srv.AddTransport(transport.Websocket{
		Implementation:        transport.CoderWebsocketImplementation{AcceptOptions: accept},
		InitFunc:              wsInit(l.IdleTimeout),
		InitTimeout:           10 * time.Second,
		KeepAlivePingInterval: l.PingInterval, // legacy protocol: "ka" messages
		PingPongInterval:      l.PingInterval, // graphql-transport-ws: ping, pong expected
		PayloadReadLimit:      &readLimit,
		ErrorFunc: func(ctx context.Context, err error) {
			cfg.Log.Debug("websocket", "error", err)
		},
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.Use(extension.Introspection{})
	srv.Use(extension.FixedComplexityLimit(l.MaxComplexity))
	srv.Use(DepthLimit{Max: l.MaxDepth})
	srv.Use(SubscriptionLimit{Max: l.MaxSubscriptionsPerSocket})
	return http.MaxBytesHandler(srv, l.MaxRequestBytes)
}

// Handler is everything the main port serves.
func Handler(es graphql.ExecutableSchema, cfg Config) http.Handler {
	gql := GraphQL(es, cfg)
	mux := http.NewServeMux()
	mux.Handle("/graphql", gql)
	mux.Handle("/graphql-ws", gql)
	mux.Handle("GET /{$}", playground.Handler("Open Bank", "/graphql"))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := cfg.Ready(ctx); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", promhttp.Handler())
	return CORS(cfg.CORSOrigins).Handler(mux)
}

// CORS allows the configured origins to call the API from a browser.
func CORS(origins []string) *cors.Cors {
	return cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodOptions},
		AllowedHeaders: []string{"*"},
		MaxAge:         600,
	})
}

func anyOrigin(origins []string) bool {
	for _, o := range origins {
		if o == "*" {
			return true
		}
	}
	return false
}

// originHosts turns origins (http://host:port) into the host patterns the
// WebSocket library checks the Origin header against.
func originHosts(origins []string) []string {
	var hosts []string
	for _, o := range origins {
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			hosts = append(hosts, u.Host)
		} else {
			hosts = append(hosts, o)
		}
	}
	return hosts
}

// Static serves the files in dir; a path without a file extension that
// names no file gets index.html, so a single-page app's routes load.
func Static(dir string) http.Handler {
	files := http.FileServer(http.Dir(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := path.Clean("/" + r.URL.Path)
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(p))); os.IsNotExist(err) && !strings.Contains(path.Base(p), ".") {
			r = r.Clone(r.Context())
			r.URL.Path = "/"
		}
		files.ServeHTTP(w, r)
	})
}
