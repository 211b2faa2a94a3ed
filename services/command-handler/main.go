// Command command-handler is the heart of the bank: it reads commands, decides
// them with the bank rules against balancedb, and answers with feedback and
// BalanceChanged events. `command-handler migrate` only applies the schema.
package main

import (
	_ "openbank/messaging/clients"

	"context"
	"log/slog"
	"os"
	"strings"
	"time"

	"openbank/kit/env"
	"openbank/kit/pgpool"
	"openbank/kit/schema"
	"openbank/kit/service"
	"openbank/messaging"
	"openbank/services/command-handler/internal/adapters/balancedb"
	"openbank/services/command-handler/internal/domain/tokens"
	"openbank/topology"
	"openbank/topology/ident"
)

type config struct {
	service service.Config
	kafka   messaging.Config
	db      balancedb.Config
	group   string
	// A static member's id (KAFKA_GROUP_INSTANCE_ID, {hostname} replaced):
	// restarted, the instance gets its partitions back at once instead of
	// after the session timeout. One per instance; empty: a dynamic member.
	instanceID string
	batchSize  int
	batchWait  time.Duration
	// pipeline decides the next batch while the previous one's events are
	// being acknowledged (COMMAND_PIPELINE).
	pipeline bool
	migrate  bool
	// tokenKey keys the tokens' hashes and derives new accounts' tokens
	// (TOKEN_KEY); bankToken is the bank's own account's (BANK_TOKEN).
	tokenKey  []byte
	bankToken string
	// How long a crashed instance's partitions wait before another takes them.
	sessionTimeout time.Duration
	// How long a handled command's record is kept, so that a redelivery is
	// recognised: at least the commands topic's retention.
	dedupWindow time.Duration
	// Bounds the records fetched ahead of the handler: a few batches ahead
	// is all that helps.
	maxBuffered int
}

func readConfig() (config, error) {
	env := env.New()
	c := config{
		service: service.ReadConfig(env, 8090),
		kafka:   messaging.ReadConfig(env, "command-handler"),
		db:      pgpool.ReadDB(env, "command_handler", "balancedb", 4, 100),

		group:          env.String("KAFKA_GROUP_ID", "command-handler", "the consumer group of `commands`"),
		instanceID:     instanceID(env.String("KAFKA_GROUP_INSTANCE_ID", "", "static membership, one per instance: a restarted instance gets its partitions back at once ([reliability.md](reliability.md#static-membership))")),
		batchSize:      env.Int("COMMAND_BATCH_SIZE", 500, 1, 100_000, "most commands decided in one database transaction"),
		batchWait:      env.Millis("COMMAND_BATCH_WAIT_MS", 0*time.Millisecond, 0*time.Millisecond, 10_000*time.Millisecond, "how long a batch waits to fill ([latency.md](latency.md#batching))"),
		pipeline:       env.Bool("COMMAND_PIPELINE", false, "decide the next batch while the previous one's events are acknowledged ([latency.md](latency.md#pipelining))"),
		migrate:        env.Bool("MIGRATE_ON_START", true, "apply the schema at start (or run `command-handler migrate` once)"),
		sessionTimeout: env.Millis("KAFKA_SESSION_TIMEOUT_MS", 10_000*time.Millisecond, 6_000*time.Millisecond, 300_000*time.Millisecond, "how long a dead instance's partitions wait before another member takes them"),
		dedupWindow:    env.Millis("DEDUP_WINDOW_MS", topology.CommandsRetention, topology.CommandsRetention, 366*24*time.Hour, "how long a handled command is remembered, so that a command delivered again is recognised; never shorter than the `commands` topic's retention.ms, as Kafka may deliver a command again that long ([reliability.md](reliability.md#deduplication-window))"),
		maxBuffered:    env.Int("KAFKA_QUEUED_MAX_KBYTES", 1024, 64, 2_097_151, "records fetched ahead of the handler") * 1024,
	}
	// A batch, its fetch buffer (KAFKA_QUEUED_MAX_KBYTES) and the producer's in flight fit well inside.
	c.service.MemoryLimit = service.SoftMemoryLimit(32)
	// A batch's records and rows are garbage once it is published: collecting
	// at +25% holds 1.6 MiB less at 1,000 msg/s for no clear CPU (docs/latency.md).
	c.service.GCPercent = service.GCPercent(25)
	if !service.MigrateOnly() { // the migrations need no secret of the handler's work
		c.tokenKey = env.Key("TOKEN_KEY", tokens.MinKeyBytes, "keys the hashes of account tokens (HMAC-SHA256) and derives each new account's token from its creation id; changing it invalidates every token ([security-limits.md](security-limits.md#tokens-and-database-roles))")
		c.bankToken = env.Secret("BANK_TOKEN", ident.MinBankTokenLength, ident.MaxTokenLength, true, "the token of the bank's own account, whose hash the handler sets at start ([security-limits.md](security-limits.md#tokens-and-database-roles))")
	}
	env.Check(service.MigrateOnly() || c.db.Password != "", "DB_PASSWORD", "want the service role's password")
	env.Check(!c.migrate || c.db.MigratePassword != "", "DB_MIGRATE_PASSWORD",
		"want the owner role's password when MIGRATE_ON_START is true (or MIGRATE_ON_START=false and `command-handler migrate` apart)")
	env.Check(c.instanceID == "" || messaging.ValidGroupInstanceID(c.instanceID), "KAFKA_GROUP_INSTANCE_ID",
		"want at most 249 letters, digits, '.', '_' or '-', one per instance ({hostname} is replaced), or nothing")
	return c, env.Err()
}

// instanceID replaces {hostname} in id with this host's name: a container's
// or pod's, which stays the same when its process is restarted, so one
// setting serves every replica.
func instanceID(id string) string {
	if !strings.Contains(id, "{hostname}") {
		return id
	}
	host, err := os.Hostname()
	if err != nil {
		host = "" // the id is then invalid and start-up says so
	}
	return strings.ReplaceAll(id, "{hostname}", host)
}

func main() {
	cfg, err := readConfig()
	log := service.NewLogger(cfg.service.LogLevel)
	service.CheckConfig(log, err)
	service.MainOrMigrate("command-handler", cfg.service, log, func(ctx context.Context, ops *service.Ops) error {
		return run(ctx, cfg, ops, log)
	}, func(ctx context.Context) error { return migrate(ctx, cfg.db, log) })
}

// migrate applies the migrations, waiting for the database to come up.
func migrate(ctx context.Context, db balancedb.Config, log *slog.Logger) error {
	return schema.UpWhenReachable(ctx, log, func() (uint, error) { return balancedb.Migrate(db) })
}
