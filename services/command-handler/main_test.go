package main

import (
	"os"
	"strings"
	"testing"

	"openbank/messaging"
)

// validSecrets sets the settings that have no default.
func validSecrets(t *testing.T) {
	t.Setenv("TOKEN_KEY", strings.Repeat("ab", 32))
	t.Setenv("BANK_TOKEN", "bank-token-for-the-tests")
	t.Setenv("DB_PASSWORD", "runtime-password")
	t.Setenv("DB_MIGRATE_PASSWORD", "owner-password")
}

func TestReadConfigDefaults(t *testing.T) {
	validSecrets(t)
	for _, name := range []string{"DB_USER", "DB_NAME", "HTTP_PORT", "COMMAND_BATCH_SIZE", "COMMAND_BATCH_WAIT_MS", "KAFKA_LINGER_MS", "MIGRATE_ON_START", "COMMAND_PIPELINE"} {
		t.Setenv(name, "") // empty is unset
	}
	cfg, err := readConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.db.User != "command_handler" || cfg.db.Database != "balancedb" || cfg.service.HTTPPort != 8090 ||
		cfg.batchSize != 500 || cfg.batchWait != 0 || cfg.kafka.Linger != 0 || !cfg.migrate || cfg.pipeline {
		t.Fatalf("defaults %+v", cfg)
	}
}

func TestReadConfigNamesEveryBadVariable(t *testing.T) {
	t.Setenv("DB_PORT", "seventy")
	t.Setenv("HTTP_PORT", "0")
	t.Setenv("COMMAND_BATCH_SIZE", "-1")
	t.Setenv("DB_SSLMODE", "sometimes")
	t.Setenv("KAFKA_GROUP_INSTANCE_ID", "handler 1")
	t.Setenv("COMMAND_PIPELINE", "maybe")
	t.Setenv("TOKEN_KEY", "abcd") // 2 bytes
	t.Setenv("BANK_TOKEN", "")
	_, err := readConfig()
	if err == nil {
		t.Fatal("no error")
	}
	for _, name := range []string{"DB_PORT", "HTTP_PORT", "COMMAND_BATCH_SIZE", "DB_SSLMODE", "KAFKA_GROUP_INSTANCE_ID", "COMMAND_PIPELINE", "TOKEN_KEY", "BANK_TOKEN"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}

func TestInstanceIDTakesTheHostname(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Skip(err)
	}
	validSecrets(t)
	t.Setenv("KAFKA_GROUP_INSTANCE_ID", "command-handler-{hostname}")
	cfg, err := readConfig()
	if err != nil && messaging.ValidGroupInstanceID("command-handler-"+host) {
		t.Fatal(err)
	}
	if cfg.instanceID != "command-handler-"+host {
		t.Errorf("instance id %q, want command-handler-%s", cfg.instanceID, host)
	}
}

// A dedup window shorter than the commands topic's retention would forget
// commands Kafka may still deliver again: start-up stops, naming the setting.
func TestDedupWindowShorterThanTheRetentionStopsStartUp(t *testing.T) {
	validSecrets(t)
	t.Setenv("DEDUP_WINDOW_MS", "86400000") // a day, against 7 days of retention
	_, err := readConfig()
	if err == nil || !strings.Contains(err.Error(), "DEDUP_WINDOW_MS") {
		t.Fatalf("err = %v, want one naming DEDUP_WINDOW_MS", err)
	}
	t.Setenv("DEDUP_WINDOW_MS", "691200000") // 8 days
	if cfg, err := readConfig(); err != nil || cfg.dedupWindow.Hours() != 8*24 {
		t.Fatalf("8 days: %v, %v", cfg.dedupWindow, err)
	}
}
