package checks

import (
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
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

// envRead finds the names a program reads: env.Env calls
// (env.String("NAME", ...) and friends) and os.Getenv/LookupEnv.
var envRead = regexp.MustCompile(`\b(?:env|e)\.(?:String|Int|Duration|Bool|File)\(\s*"([A-Z][A-Z0-9_]*)"|\bos\.(?:Getenv|LookupEnv)\(\s*"([A-Z][A-Z0-9_]*)"`)

// readsEnv scans the non-test Go files of dir (not bench/ or other commands
// below it) for the environment variables the program reads; a program that
// calls messaging.ReadConfig also reads what messaging/config.go reads, one
// that calls service.ReadConfig or service.ReadLogLevel what
// kit/service/config.go reads, and one that calls observe.StartTracing what
// kit/observe/tracing.go reads.
func readsEnv(t *testing.T, dir string) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	kafka, skeleton, tracing := false, false, false
	scan := func(path string) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range envRead.FindAllStringSubmatch(string(b), -1) {
			names[m[1]+m[2]] = true
		}
		kafka = kafka || strings.Contains(string(b), "messaging.ReadConfig(")
		skeleton = skeleton || strings.Contains(string(b), "service.ReadConfig(") || strings.Contains(string(b), "service.ReadLogLevel(")
		tracing = tracing || strings.Contains(string(b), "observe.StartTracing(")
	}
	err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "bench" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			scan(path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if kafka {
		scan(filepath.Join(root, "messaging", "config.go"))
	}
	if skeleton {
		scan(filepath.Join(root, "kit", "service", "config.go"))
	}
	if tracing {
		scan(filepath.Join(root, "kit", "observe", "tracing.go"))
	}
	if len(names) == 0 {
		t.Fatalf("%s: found no environment variables read; has the way services read configuration changed?", dir)
	}
	return names
}

func TestReadsEnvFindsTheConfiguration(t *testing.T) {
	// Guards the scanner itself: a regexp that stopped matching would make the
	// compose and Kubernetes checks pass vacuously.
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
				t.Errorf("%s: scanner misses %s (found %v)", dir, n, slices.Sorted(maps.Keys(got)))
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
		req = append(req, "DB_HOSTNAME", "DB_PORT", "DB_USER", "DB_PASSWORD", "DB_NAME")
	}
	if name != "synchronizer" && name != "command-handler-migrate" {
		req = append(req, "HTTP_PORT")
	}
	return req
}
