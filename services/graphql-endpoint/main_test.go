package main

import (
	"strings"
	"testing"
	"time"

	"openbank/kit/env"
	"openbank/topology"
)

// validSecrets sets the settings that have no default.
func validSecrets(t *testing.T) {
	t.Setenv("TOKEN_SEAL_KEY", strings.Repeat("ab", 32))
	t.Setenv("DB_PASSWORD", "runtime-password")
	t.Setenv("DB_MIGRATE_PASSWORD", "owner-password")
}

func TestReadConfigDefaults(t *testing.T) {
	validSecrets(t)
	for _, name := range []string{"HTTP_PORT", "OPS_PORT", "STATIC_DIR", "SHUTDOWN_TIMEOUT_MS", "MIGRATE_ON_START", "DB_USER"} {
		t.Setenv(name, "") // empty is unset
	}
	cfg, err := readConfig(env.New())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.service.HTTPPort != 8888 || cfg.service.OpsPort != 0 || cfg.staticPort != 8181 || cfg.service.Grace != 8*time.Second ||
		!cfg.migrate || cfg.db.User != "graphql_endpoint" || cfg.db.Database != "transactiondb" {
		t.Fatalf("defaults %+v", cfg)
	}
	if p := cfg.service.Public; p == nil || p.ReadTimeout != 30*time.Second || p.IdleTimeout != time.Minute || p.Listener == nil {
		t.Errorf("HTTP_PORT's bounds %+v", p)
	}
}

func TestReadConfigNamesEveryBadVariable(t *testing.T) {
	t.Setenv("HTTP_PORT", "9000")
	t.Setenv("OPS_PORT", "9000")
	t.Setenv("DB_SSLMODE", "sometimes")
	t.Setenv("SHUTDOWN_TIMEOUT_MS", "forever")
	t.Setenv("LOG_LEVEL", "loud")
	t.Setenv("HTTP_READ_TIMEOUT_MS", "1000")
	t.Setenv("KAFKA_GROUP_ID", "gateway one")
	t.Setenv("KAFKA_GROUP_INSTANCE_ID", "gateway one")
	t.Setenv("TOKEN_SEAL_KEY", "c2hvcnQ=") // 5 bytes
	t.Setenv("DB_MIGRATE_PASSWORD", "")
	t.Setenv("DB_PASSWORD", "")
	_, err := readConfig(env.New())
	if err == nil {
		t.Fatal("no error")
	}
	for _, name := range []string{"OPS_PORT", "DB_SSLMODE", "SHUTDOWN_TIMEOUT_MS", "LOG_LEVEL", "HTTP_READ_TIMEOUT_MS", "KAFKA_GROUP_ID", "KAFKA_GROUP_INSTANCE_ID", "TOKEN_SEAL_KEY", "DB_MIGRATE_PASSWORD", "DB_PASSWORD"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}

// Every partition of balance_changed gets a start on the first start, so a
// start after a kill finds nothing to place while the killed member is still
// in the group.
func TestStartAtPlacesEveryPartition(t *testing.T) {
	start := startAt(map[int32]int64{0: 42})
	if o, ok := start(topology.TopicBalanceChanged, 0, 10, 50); !ok || o != 42 {
		t.Errorf("partition with progress: %d, %v; want 42, true", o, ok)
	}
	if o, ok := start(topology.TopicBalanceChanged, 1, 7, 50); !ok || o != 7 {
		t.Errorf("partition without progress: %d, %v; want its beginning 7, true", o, ok)
	}
}
