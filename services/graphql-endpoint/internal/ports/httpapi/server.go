// Package httpapi is the gateway's HTTP routes: GraphQL over HTTP and
// WebSocket, GraphiQL and, when configured, the frontend's files. Health,
// readiness and metrics are the service skeleton's (kit/service).
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
	coderws "github.com/coder/websocket"
	"github.com/rs/cors"
	"github.com/vektah/gqlparser/v2/ast"

	"openbank/services/graphql-endpoint/internal/app/client"
	"openbank/services/graphql-endpoint/internal/ports/graphiql"
)

// DefaultMaxFields is the expanded field limit when Limits.MaxFields is unset.
const DefaultMaxFields = 300

// Limits protect the gateway from abusive requests.
type Limits struct {
	MaxTokens                 int           // lexical tokens of a query, checked before validation
	MaxFields                 int           // field selections once fragments are expanded, checked before validation
	MaxDepth                  int           // fields deep, checked before validation
	MaxComplexity             int           // gqlgen complexity (1 per field; lists times their most items)
	MaxRequestBytes           int64         // HTTP body and WebSocket message
	MaxSubscriptionsPerSocket int           // operations (of any kind) running on one WebSocket connection
	IdleTimeout               time.Duration // WebSocket without any running operation
	PingInterval              time.Duration // keep-alive; a dead peer is noticed within 2 intervals
	// BodyReadTimeout bounds reading a request's body, apart from the rest
	// of the request: a body that trickles is cut off early. 0: no own bound.
	BodyReadTimeout time.Duration
	// RequestTimeout bounds a request over HTTP from its body read to its
	// answer, and a query or mutation over WebSocket; the work stops with its
	// context. 0: none.
	RequestTimeout time.Duration
	// MaxPerProxiedClient caps the requests and WebSockets one client behind
	// a trusted proxy has open at once (the listener caps other clients'
	// connections). 0: no cap.
	MaxPerProxiedClient int
}

// Config is the HTTP port's configuration.
type Config struct {
	Limits Limits
	// CORSOrigins are the browser origins allowed (e.g. http://localhost:8181);
	// "*" allows any.
	CORSOrigins []string
	// Proxies may say whom they forward for (X-Forwarded-For); the zero
	// value trusts none, so every TCP peer is a client.
	Proxies client.Proxies
	Log     *slog.Logger
	// Introspection lets clients read the schema (GraphiQL needs it).
	Introspection bool
	// Extensions are added after the limits (tests count the work done).
	Extensions []graphql.HandlerExtension
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
	srv.SetParserTokenLimit(l.MaxTokens)
	srv.SetErrorPresenter(presentError(cfg.Log))
	if cfg.Introspection {
		srv.Use(extension.Introspection{})
	}
	// Before validation: nothing after it walks more than MaxFields fields
	// (unset: DefaultMaxFields; there is no unbounded setting).
	if l.MaxFields <= 0 {
		l.MaxFields = DefaultMaxFields
	}
	srv.Use(CostLimit{MaxTokens: l.MaxTokens, MaxFields: l.MaxFields, MaxDepth: l.MaxDepth})
	srv.Use(extension.FixedComplexityLimit(l.MaxComplexity))
	srv.Use(SubscriptionLimit{Max: l.MaxSubscriptionsPerSocket})
	srv.Use(OperationDeadline{Timeout: l.RequestTimeout})
	for _, e := range cfg.Extensions {
		srv.Use(e)
	}
	return withClient(cfg.Proxies, l.MaxPerProxiedClient, readBody(l, srv))
}

// Routes mounts the API on public (HTTP_PORT) and GraphiQL on private
// (OPS_PORT). When private is a mux of its own, it gets a GraphQL endpoint
// with introspection for GraphiQL too (the same limits as the public one).
func Routes(public, private *http.ServeMux, es graphql.ExecutableSchema, cfg Config) {
	gql := GraphQL(es, cfg)
	public.Handle("/graphql", gql)
	public.Handle("/graphql-ws", gql)
	if private != public {
		cfg.Introspection = true
		gql := GraphQL(es, cfg)
		private.Handle("/graphql", gql)
		private.Handle("/graphql-ws", gql)
	}
	// GraphiQL from the gateway's own embedded files: no CDN.
	private.Handle("GET /{$}", graphiql.Page("Open Bank", "/graphql", "/graphiql/"))
	private.Handle("GET /graphiql/{file}", graphiql.Files())
}

// CORS allows the configured origins to call the API from a browser; none
// allows no other origin (rs/cors would take an empty list for "*").
func CORS(origins []string) *cors.Cors {
	var none func(string) bool
	if len(origins) == 0 {
		none = func(string) bool { return false }
	}
	return cors.New(cors.Options{
		AllowedOrigins:  origins,
		AllowOriginFunc: none,
		AllowedMethods:  []string{http.MethodGet, http.MethodPost, http.MethodOptions},
		AllowedHeaders:  []string{"*"},
		MaxAge:          600,
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
