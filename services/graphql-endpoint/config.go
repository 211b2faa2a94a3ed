package main

import (
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"openbank/kit/env"
	"openbank/kit/pgpool"
	"openbank/kit/service"
	"openbank/messaging"
	"openbank/services/graphql-endpoint/internal/adapters/store"
	"openbank/services/graphql-endpoint/internal/app/client"
	"openbank/services/graphql-endpoint/internal/app/ratelimit"
	"openbank/services/graphql-endpoint/internal/ports/httpapi"
)

type config struct {
	// service: HTTP_PORT (8888), OPS_PORT, PPROF_PORT, LOG_LEVEL; its Grace
	// is SHUTDOWN_TIMEOUT_MS and its Public the connection bounds below.
	service      service.Config
	kafka        messaging.Config
	db           store.Config
	migrate      bool
	staticDir    string
	staticPort   int
	introspect   bool
	cors         []string
	group        string
	instance     string
	feedbackWait time.Duration
	poll         time.Duration
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

func readConfig(env *env.Env) (config, error) {
	c := config{
		service: service.ReadConfig(env, 8888),
		kafka:   messaging.ReadConfig(env, "graphql-endpoint"),
		db:      readDBConfig(env),
		migrate: env.Bool("MIGRATE_ON_START", true, "apply the schema at start (or run `command-handler migrate` once)"),
	}
	// Password hashes take about 19 MiB each, and 1,000 subscribers under 100 MiB (bench/fanout).
	c.service.MemoryLimit = service.SoftMemoryLimit(128)
	// The heap is mostly short-lived response garbage: collecting at +25%
	// keeps the RSS of 1,000 subscribers under 100 MiB for a few % of a core
	// (bench/fanout).
	c.service.GCPercent = service.GCPercent(25)
	env.Check(!c.migrate || c.db.MigratePassword != "", "DB_MIGRATE_PASSWORD",
		"want the owner role's password when MIGRATE_ON_START is true (or MIGRATE_ON_START=false and `graphql-endpoint migrate` apart)")
	c.service.Grace = env.Millis("SHUTDOWN_TIMEOUT_MS", 8*time.Second, time.Second, 5*time.Minute, "the bounded shutdown")
	c.staticDir = env.String("STATIC_DIR", "", "serve these files (the built page) on `STATIC_PORT`")
	if c.staticDir != "" {
		st, err := os.Stat(c.staticDir)
		env.Check(err == nil && st.IsDir(), "STATIC_DIR", "want a directory of files to serve")
	}
	c.staticPort = env.Int("STATIC_PORT", 8181, 1, 65535, "the page's port")
	httpPort := c.service.HTTPPort
	env.Check(c.staticDir == "" || c.staticPort != httpPort, "STATIC_PORT",
		"must differ from HTTP_PORT (the files get a listener of their own)")
	c.service.OpsPort = env.Int("OPS_PORT", 0, 0, 65535, "a port of its own for `/metrics`, GraphiQL and a `/graphql` with introspection")
	env.Check(c.service.OpsPort == 0 || c.service.OpsPort != httpPort && (c.staticDir == "" || c.service.OpsPort != c.staticPort),
		"OPS_PORT", "must differ from HTTP_PORT and STATIC_PORT")
	c.introspect = env.Bool("GRAPHQL_INTROSPECTION", true, "introspection on the public port")
	// Unset: the page's own origin when this process serves it, else none
	// (the page comes through a proxy on the API's own origin).
	defaultOrigins := ""
	if c.staticDir != "" {
		defaultOrigins = fmt.Sprintf("http://localhost:%d,http://127.0.0.1:%d,http://[::1]:%d", c.staticPort, c.staticPort, c.staticPort)
	}
	for _, o := range strings.Split(env.String("CORS_ORIGINS", defaultOrigins, "browser origins allowed for HTTP and WebSocket, comma-separated (unset: the page's own origin when this process serves it, else none)"), ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.cors = append(c.cors, o)
		}
	}
	proxies, err := client.ParseProxies(env.String("TRUSTED_PROXIES", "", "addresses or CIDR prefixes of proxies (the page's nginx) whose `X-Forwarded-For` names the real client; unset: none"))
	env.Check(err == nil, "TRUSTED_PROXIES", "want addresses or CIDR prefixes, comma-separated")
	c.proxies = proxies
	host, _ := os.Hostname()
	// Every instance joins the same two groups: each balance change is stored,
	// and each answer recorded, by one instance; every instance streams from
	// transactiondb and is woken by its notifications (README, Instances).
	c.group = env.String("KAFKA_GROUP_ID", "graphql-endpoint", "the groups `<group>-transactions` and `<group>-feedback`, shared by every instance")
	c.instance = env.String("KAFKA_GROUP_INSTANCE_ID", fmt.Sprintf("graphql-endpoint-%s-%d", host, httpPort),
		"this instance's static member id in both groups, one per instance: a restarted instance gets its partitions back at once")
	env.Check(messaging.ValidGroupInstanceID(c.group+"-transactions"), "KAFKA_GROUP_ID",
		"want at most 236 letters, digits, '.', '_' or '-'")
	env.Check(messaging.ValidGroupInstanceID(c.instance+"-transactions"), "KAFKA_GROUP_INSTANCE_ID",
		"want at most 236 letters, digits, '.', '_' or '-', one per instance")
	c.feedbackWait = env.Millis("FEEDBACK_TIMEOUT_MS", 10*time.Second, 100*time.Millisecond, 5*time.Minute, "how long a request waits for the command handler's answer")
	c.poll = env.Millis("STREAM_POLL_MS", time.Second, 50*time.Millisecond, time.Minute,
		"how often the stream and waiting requests look in transactiondb without a notification (one lost only delays)")
	c.sendTimeout = env.Millis("KAFKA_SEND_TIMEOUT_MS", 5*time.Second, 100*time.Millisecond, 5*time.Minute, "how long a request waits for Kafka to take its command")
	c.hashSlots = env.Int("HASH_CONCURRENCY", 2, 1, 256, "argon2id hashes at once (~19 MiB each)")
	c.maxLast = env.Int("MAX_LAST_TRANSACTIONS", 1000, 1, 100_000, "what `all_last_transactions` answers")
	c.conns = connLimits{
		readTimeout:  env.Millis("HTTP_READ_TIMEOUT_MS", 30*time.Second, 100*time.Millisecond, time.Hour, "the whole request"),
		idleTimeout:  env.Millis("HTTP_IDLE_TIMEOUT_MS", 60*time.Second, 100*time.Millisecond, time.Hour, "keep-alive between requests"),
		writeTimeout: env.Millis("WRITE_TIMEOUT_MS", 10*time.Second, 100*time.Millisecond, time.Hour, "each write, WebSockets too"),
		perClient:    env.Int("MAX_CONNECTIONS_PER_CLIENT", 256, 0, 1_000_000, "open connections per client (429 beyond); `0` no cap"),
		proxies:      c.proxies,
	}
	c.service.Public = c.conns.public()
	// net/http cancels a request whose connection's read deadline passes while
	// it runs, so a request must be able to wait for its feedback within it.
	env.Check(c.conns.readTimeout > c.feedbackWait+c.sendTimeout, "HTTP_READ_TIMEOUT_MS",
		"must be longer than FEEDBACK_TIMEOUT_MS plus KAFKA_SEND_TIMEOUT_MS")
	c.limits = readLimits(env)
	c.limits.RequestTimeout = c.feedbackWait + c.sendTimeout + time.Second
	c.limits.MaxPerProxiedClient = c.conns.perClient
	// The body's own bound: short, and inside the whole request's.
	c.limits.BodyReadTimeout = env.Millis("HTTP_BODY_TIMEOUT_MS", min(5*time.Second, c.conns.readTimeout), 100*time.Millisecond, time.Hour, "how long a request body may take to arrive (408 beyond)")
	env.Check(c.limits.BodyReadTimeout <= c.conns.readTimeout, "HTTP_BODY_TIMEOUT_MS", "must not be longer than HTTP_READ_TIMEOUT_MS")
	c.passwords = &ratelimit.Passwords{
		PerClient: ratelimit.New(env.Int("PASSWORD_RATE_PER_MINUTE", 60, 0, 1_000_000, "password hashes per client; `0` off"), env.Int("PASSWORD_RATE_BURST", 20, 1, 1_000_000, "burst of the rate above")),
		PerUsername: ratelimit.New(env.Int("PASSWORD_RATE_PER_USERNAME_PER_MINUTE", 10, 0, 1_000_000, "password hashes per username; `0` off"),
			env.Int("PASSWORD_RATE_PER_USERNAME_BURST", 10, 1, 1_000_000, "burst of the rate above")),
	}
	return c, env.Err()
}

func readDBConfig(env *env.Env) store.Config {
	c := store.Config{
		DB: pgpool.ReadDB(env, "graphql_endpoint", "transactiondb", 10, 1000),
		// on (durable) unless set; see store.Config.
		SynchronousCommit: env.OneOf("DB_SYNCHRONOUS_COMMIT", "", []string{"on", "off", "local", "remote_write", "remote_apply"},
			"the sessions' synchronous_commit (unset: the server's, `on`); `off` takes the fsync out of the stream's latency, but a database crash may then lose rows whose offsets are committed"),
	}
	if !service.MigrateOnly() { // the migrations need no secret of the gateway's work
		c.TokenSealKey = env.Key("TOKEN_SEAL_KEY", store.MinSealKeyBytes,
			"seals the account tokens kept for logins and the tokens of unanswered transfers (AES-256-GCM); changing it loses them ([security-limits.md](security-limits.md#tokens-and-database-roles))")
	}
	env.Check(service.MigrateOnly() || c.DB.Password != "", "DB_PASSWORD", "want the service role's password")
	return c
}

func readLimits(env *env.Env) httpapi.Limits {
	return httpapi.Limits{
		MaxTokens:                 env.Int("MAX_QUERY_TOKENS", 2000, 100, 1_000_000, "checked before validation"),
		MaxFields:                 env.Int("MAX_QUERY_FIELDS", 300, 10, 100_000, "field selections, counted where fragments expand, before validation"),
		MaxDepth:                  env.Int("MAX_QUERY_DEPTH", 10, 2, 100, "levels, counted where fragments expand; introspection not counted"),
		MaxComplexity:             env.Int("MAX_QUERY_COMPLEXITY", 10_000, 10, 10_000_000, "1 per field, a list times its most items"),
		MaxRequestBytes:           int64(env.Int("MAX_REQUEST_BYTES", 64<<10, 1<<10, 64<<20, "request body, WebSocket message")),
		MaxSubscriptionsPerSocket: env.Int("MAX_SUBSCRIPTIONS_PER_CONNECTION", 20, 1, 10_000, "operations running on one WebSocket"),
		IdleTimeout:               env.Millis("WS_IDLE_TIMEOUT_MS", 5*time.Minute, time.Second, 24*time.Hour, "a WebSocket with no operation running is closed"),
		PingInterval:              env.Millis("WS_PING_INTERVAL_MS", 20*time.Second, time.Second, time.Hour, "WebSocket keep-alive"),
	}
}
