package main

import (
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"openbank/kit/service"
	"openbank/services/graphql-endpoint/internal/client"
	"openbank/services/graphql-endpoint/internal/httpapi"
	"openbank/services/graphql-endpoint/internal/ratelimit"
	"openbank/services/graphql-endpoint/internal/store"
	"openbank/topology"
)

type config struct {
	// service: HTTP_PORT (8888), OPS_PORT, PPROF_PORT, LOG_LEVEL; its Grace
	// is SHUTDOWN_TIMEOUT and its Public the connection bounds below.
	service      service.Config
	kafka        topology.KafkaConfig
	db           store.Config
	migrate      bool
	staticDir    string
	staticPort   int
	introspect   bool
	cors         []string
	group        string
	feedbackWait time.Duration
	streamGrace  time.Duration
	sendTimeout  time.Duration
	hashSlots    int
	maxLast      int
	limits       httpapi.Limits
	conns        connLimits
	proxies      client.Proxies
	passwords    *ratelimit.Passwords
}

// connLimits bound what one client's connections can hold.
type connLimits struct {
	readTimeout  time.Duration // whole request, body included (not WebSockets)
	idleTimeout  time.Duration // keep-alive between requests
	writeTimeout time.Duration // each write, WebSockets included
	perClient    int           // open connections per remote address (trusted proxies exempt)
	proxies      client.Proxies
}

// public is the server settings of a port open to browsers.
func (l connLimits) public() *service.Public {
	return &service.Public{
		// The whole request, body included; a WebSocket's connection loses
		// this deadline when it is taken over (net/http clears it).
		ReadTimeout: l.readTimeout, IdleTimeout: l.idleTimeout, MaxHeaderBytes: 64 << 10,
		Listener: func(ln net.Listener) net.Listener {
			return &httpapi.Listener{Listener: ln, MaxPerClient: l.perClient, WriteTimeout: l.writeTimeout, Proxies: l.proxies}
		},
	}
}

func readConfig(env *topology.Env) (config, error) {
	c := config{
		service: service.ReadConfig(env, 8888),
		kafka:   topology.ReadKafkaConfig(env, "graphql-endpoint"),
		db:      readDBConfig(env),
		migrate: env.Bool("MIGRATE_ON_START", true),
	}
	c.service.Grace = env.Duration("SHUTDOWN_TIMEOUT", 8*time.Second, time.Second, 5*time.Minute)
	c.staticDir = env.String("STATIC_DIR", "")
	if c.staticDir != "" {
		st, err := os.Stat(c.staticDir)
		env.Check(err == nil && st.IsDir(), "STATIC_DIR", "want a directory of files to serve")
	}
	c.staticPort = env.Int("STATIC_PORT", 8181, 1, 65535)
	httpPort := c.service.HTTPPort
	env.Check(c.staticDir == "" || c.staticPort != httpPort, "STATIC_PORT",
		"must differ from HTTP_PORT (the files get a listener of their own)")
	c.service.OpsPort = env.Int("OPS_PORT", 0, 0, 65535)
	env.Check(c.service.OpsPort == 0 || c.service.OpsPort != httpPort && (c.staticDir == "" || c.service.OpsPort != c.staticPort),
		"OPS_PORT", "must differ from HTTP_PORT and STATIC_PORT")
	c.introspect = env.Bool("GRAPHQL_INTROSPECTION", true)
	// Unset: the page's own origin when this process serves it, else none
	// (the page comes through a proxy on the API's own origin).
	defaultOrigins := ""
	if c.staticDir != "" {
		defaultOrigins = fmt.Sprintf("http://localhost:%d,http://127.0.0.1:%d,http://[::1]:%d", c.staticPort, c.staticPort, c.staticPort)
	}
	for _, o := range strings.Split(env.String("CORS_ORIGINS", defaultOrigins), ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.cors = append(c.cors, o)
		}
	}
	proxies, err := client.ParseProxies(env.String("TRUSTED_PROXIES", ""))
	env.Check(err == nil, "TRUSTED_PROXIES", "want addresses or CIDR prefixes, comma-separated")
	c.proxies = proxies
	host, _ := os.Hostname()
	// Every instance reads every record (own group), so each can stream to
	// its own subscribers and answer its own waiting requests.
	c.group = env.String("KAFKA_GROUP_ID", fmt.Sprintf("graphql-endpoint-%s-%d", host, httpPort))
	// The group id is also the instance's static member id in its groups.
	env.Check(topology.ValidGroupInstanceID(c.group+"-transactions"), "KAFKA_GROUP_ID",
		"want at most 236 letters, digits, '.', '_' or '-', one per instance")
	c.feedbackWait = env.Duration("FEEDBACK_TIMEOUT", 10*time.Second, 100*time.Millisecond, 5*time.Minute)
	c.streamGrace = env.Duration("STREAM_CATCH_UP_GRACE", 10*time.Second, 0, 24*time.Hour)
	c.sendTimeout = env.Duration("KAFKA_SEND_TIMEOUT", 5*time.Second, 100*time.Millisecond, 5*time.Minute)
	c.hashSlots = env.Int("HASH_CONCURRENCY", 2, 1, 256)
	c.maxLast = env.Int("MAX_LAST_TRANSACTIONS", 1000, 1, 100_000)
	c.conns = connLimits{
		readTimeout:  env.Duration("HTTP_READ_TIMEOUT", 30*time.Second, 100*time.Millisecond, time.Hour),
		idleTimeout:  env.Duration("HTTP_IDLE_TIMEOUT", 60*time.Second, 100*time.Millisecond, time.Hour),
		writeTimeout: env.Duration("WRITE_TIMEOUT", 10*time.Second, 100*time.Millisecond, time.Hour),
		perClient:    env.Int("MAX_CONNECTIONS_PER_CLIENT", 256, 0, 1_000_000),
		proxies:      c.proxies,
	}
	c.service.Public = c.conns.public()
	// net/http cancels a request whose connection's read deadline passes while
	// it runs, so a request must be able to wait for its feedback within it.
	env.Check(c.conns.readTimeout > c.feedbackWait+c.sendTimeout, "HTTP_READ_TIMEOUT",
		"must be longer than FEEDBACK_TIMEOUT plus KAFKA_SEND_TIMEOUT")
	c.limits = readLimits(env)
	c.limits.RequestTimeout = c.feedbackWait + c.sendTimeout + time.Second
	c.limits.MaxPerProxiedClient = c.conns.perClient
	// The body's own bound: short, and inside the whole request's.
	c.limits.BodyReadTimeout = env.Duration("HTTP_BODY_TIMEOUT", min(5*time.Second, c.conns.readTimeout), 100*time.Millisecond, time.Hour)
	env.Check(c.limits.BodyReadTimeout <= c.conns.readTimeout, "HTTP_BODY_TIMEOUT", "must not be longer than HTTP_READ_TIMEOUT")
	c.passwords = &ratelimit.Passwords{
		PerClient: ratelimit.New(env.Int("PASSWORD_RATE_PER_MINUTE", 60, 0, 1_000_000), env.Int("PASSWORD_RATE_BURST", 20, 1, 1_000_000)),
		PerUsername: ratelimit.New(env.Int("PASSWORD_RATE_PER_USERNAME_PER_MINUTE", 10, 0, 1_000_000),
			env.Int("PASSWORD_RATE_PER_USERNAME_BURST", 10, 1, 1_000_000)),
	}
	return c, env.Err()
}

func readDBConfig(env *topology.Env) store.Config {
	db := store.Config{
		Host:     env.String("DB_HOSTNAME", "localhost"),
		Port:     env.Int("DB_PORT", 5432, 1, 65535),
		User:     env.String("DB_USER", "graphql_endpoint"),
		Password: env.String("DB_PASSWORD", "open-bank"),
		Database: env.String("DB_NAME", "transactiondb"),
		SSLMode:  env.String("DB_SSLMODE", ""),
		MaxConns: env.Int("DB_MAX_CONNS", 10, 2, 1000),
		// on (durable) unless set; see store.Config.
		SynchronousCommit: env.String("DB_SYNCHRONOUS_COMMIT", ""),
	}
	switch db.SSLMode {
	case "", "disable", "allow", "prefer", "require", "verify-ca", "verify-full":
	default:
		env.Check(false, "DB_SSLMODE", "want disable, allow, prefer, require, verify-ca or verify-full")
	}
	switch db.SynchronousCommit {
	case "", "on", "off", "local", "remote_write", "remote_apply":
	default:
		env.Check(false, "DB_SYNCHRONOUS_COMMIT", "want on, off, local, remote_write or remote_apply")
	}
	return db
}

func readLimits(env *topology.Env) httpapi.Limits {
	return httpapi.Limits{
		MaxTokens:                 env.Int("MAX_QUERY_TOKENS", 2000, 100, 1_000_000),
		MaxFields:                 env.Int("MAX_QUERY_FIELDS", 300, 10, 100_000),
		MaxDepth:                  env.Int("MAX_QUERY_DEPTH", 10, 2, 100),
		MaxComplexity:             env.Int("MAX_QUERY_COMPLEXITY", 10_000, 10, 10_000_000),
		MaxRequestBytes:           int64(env.Int("MAX_REQUEST_BYTES", 64<<10, 1<<10, 64<<20)),
		MaxSubscriptionsPerSocket: env.Int("MAX_SUBSCRIPTIONS_PER_CONNECTION", 20, 1, 10_000),
		IdleTimeout:               env.Duration("WS_IDLE_TIMEOUT", 5*time.Minute, time.Second, 24*time.Hour),
		PingInterval:              env.Duration("WS_PING_INTERVAL", 20*time.Second, time.Second, time.Hour),
	}
}
