package checks

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	settings "openbank/kit/env"
	"openbank/kit/service"
)

// root is the repository root, seen from this package's directory.
const root = "../.."

// serviceDirs maps each deployed Go program to the source directory it is
// built from.
var serviceDirs = map[string]string{
	"synchronizer":            "services/synchronizer",
	"command-handler":         "services/command-handler",
	"command-handler-migrate": "services/command-handler",
	"graphql-endpoint":        "services/graphql-endpoint",
	"heartbeat":               "services/heartbeat",
	"command-generator":       "services/command-generator",
}

// dbServices are the services with a database: the database and the role they
// must be given (docs/design.md).
var dbServices = map[string]struct{ db, role string }{
	"command-handler":         {"balancedb", "command_handler"},
	"command-handler-migrate": {"balancedb", "command_handler"},
	"graphql-endpoint":        {"transactiondb", "graphql_endpoint"},
}

// readSettings runs each service as `SERVICE settings` once per test binary.
var readSettings = sync.OnceValues(func() (map[string][]settings.Setting, error) { return ReadSettings(root) })

// readsEnv is every environment variable the program built from dir reads,
// as it declares them itself (`SERVICE settings`): its own, and those of the
// libraries it runs (Kafka, the service skeleton, tracing).
func readsEnv(t *testing.T, dir string) map[string]bool {
	t.Helper()
	all, err := readSettings()
	if err != nil {
		t.Fatal(err)
	}
	svc := strings.TrimPrefix(dir, "services/")
	read, ok := all[svc]
	if !ok {
		t.Fatalf("%s: not one of the services (%v)", dir, Services)
	}
	names := map[string]bool{}
	for _, s := range read {
		names[s.Name] = true
	}
	if len(names) == 0 {
		t.Fatalf("%s: declares no environment variable; has the way services read configuration changed?", dir)
	}
	return names
}

func TestReadsEnvFindsTheConfiguration(t *testing.T) {
	// Guards the reading itself: settings that stopped being declared would
	// make the compose and Kubernetes checks pass vacuously.
	want := map[string][]string{
		"services/command-handler":  {"KAFKA_BROKERS", "SCHEMA_REGISTRY_URL", "SSL_CA_LOCATION", "DB_PASSWORD", "HTTP_PORT", "KAFKA_LINGER_MS"},
		"services/graphql-endpoint": {"KAFKA_BROKERS", "DB_NAME", "STATIC_DIR", "HTTP_PORT", "OTEL_EXPORTER_OTLP_ENDPOINT"},
		"services/heartbeat":        {"KAFKA_CLIENT_ID", "HTTP_PORT"},
		"services/synchronizer":     {"KAFKA_BROKERS", "SSL_KEY_LOCATION"},
	}
	for dir, names := range want {
		got := readsEnv(t, dir)
		for _, n := range names {
			if !got[n] {
				t.Errorf("%s: declares no %s (found %v)", dir, n, slices.Sorted(maps.Keys(got)))
			}
		}
	}
}

// requiredEnv is what a deployment must set for program name: the defaults
// (localhost) are wrong in any deployment.
func requiredEnv(name string) []string {
	var req []string
	if name != "command-handler-migrate" {
		req = append(req, "KAFKA_BROKERS", "SCHEMA_REGISTRY_URL")
	}
	if _, ok := dbServices[name]; ok {
		req = append(req, "DB_HOSTNAME", "DB_PORT", "DB_USER", "DB_NAME")
	}
	// Secrets without a default: each program's own (docs/security-limits.md).
	switch name {
	case "command-handler-migrate":
		req = append(req, "DB_MIGRATE_PASSWORD")
	case "command-handler":
		req = append(req, "DB_PASSWORD", "TOKEN_KEY", "BANK_TOKEN")
	case "graphql-endpoint":
		req = append(req, "DB_PASSWORD", "DB_MIGRATE_PASSWORD", "TOKEN_SEAL_KEY")
	case "command-generator":
		req = append(req, "BANK_TOKEN")
	}
	if name != "synchronizer" && name != "command-handler-migrate" {
		req = append(req, "HTTP_PORT")
	}
	return req
}

// TestStackStartsTheServices: deploy/stack.sh starts exactly the services of
// the one list (kit/service.Names), in its order.
func TestStackStartsTheServices(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "deploy", "stack.sh"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^SERVICES=\(([^)]*)\)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("deploy/stack.sh: no SERVICES=(...) line")
	}
	if got := strings.Fields(string(m[1])); !slices.Equal(got, service.Names) {
		t.Errorf("deploy/stack.sh SERVICES=%v, want kit/service.Names %v", got, service.Names)
	}
}
