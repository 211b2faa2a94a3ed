package checks

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// The compose files as a user runs them: the cluster, and one broker without TLS.
var composeVariants = map[string][]string{
	"three brokers with TLS": {"docker-compose.yml"},
	"one broker":             {"docker-compose.yml", "docker-compose.single.yml"},
}

func loadCompose(t *testing.T, files []string) *types.Project {
	t.Helper()
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	var cfg []types.ConfigFile
	for _, f := range files {
		cfg = append(cfg, types.ConfigFile{Filename: filepath.Join(abs, f)})
	}
	// Only the passwords the files require (no defaults), one per role; else
	// the files' own defaults apply.
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir: abs, ConfigFiles: cfg, Environment: rolePasswords,
	})
	if err != nil {
		t.Fatalf("load %v: %v", files, err)
	}
	return p
}

// rolePasswords are what deploy/compose/make-env.sh writes to .env.
var rolePasswords = types.Mapping{
	"POSTGRES_PASSWORD":               "test-admin-password",
	"COMMAND_HANDLER_DB_PASSWORD":     "test-command-handler-password",
	"GRAPHQL_ENDPOINT_DB_PASSWORD":    "test-graphql-endpoint-password",
	"BALANCEDB_OWNER_DB_PASSWORD":     "test-balancedb-owner-password",
	"TRANSACTIONDB_OWNER_DB_PASSWORD": "test-transactiondb-owner-password",
	"TOKEN_KEY":                       "test-token-key",
	"TOKEN_SEAL_KEY":                  "test-token-seal-key",
	"BANK_TOKEN":                      "test-bank-token",
	"HEARTBEAT_CONTROL_TOKEN":         "test-heartbeat-control-token",
	"SCHEMA_REGISTRY_DB_PASSWORD":     "test-schemaregistry-db-password",
	// A registry user per service (registryPasswordVar).
	"SCHEMA_REGISTRY_SYNCHRONIZER_PASSWORD":      "test-registry-synchronizer",
	"SCHEMA_REGISTRY_COMMAND_HANDLER_PASSWORD":   "test-registry-command-handler",
	"SCHEMA_REGISTRY_GRAPHQL_ENDPOINT_PASSWORD":  "test-registry-graphql-endpoint",
	"SCHEMA_REGISTRY_HEARTBEAT_PASSWORD":         "test-registry-heartbeat",
	"SCHEMA_REGISTRY_COMMAND_GENERATOR_PASSWORD": "test-registry-command-generator",
}

// rolePassword names the variable with each role's password.
var rolePassword = map[string]string{
	"command_handler":     "COMMAND_HANDLER_DB_PASSWORD",
	"graphql_endpoint":    "GRAPHQL_ENDPOINT_DB_PASSWORD",
	"balancedb_owner":     "BALANCEDB_OWNER_DB_PASSWORD",
	"transactiondb_owner": "TRANSACTIONDB_OWNER_DB_PASSWORD",
}

func TestComposeRequiresPasswords(t *testing.T) {
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	for name, files := range composeVariants {
		var cfg []types.ConfigFile
		for _, f := range files {
			cfg = append(cfg, types.ConfigFile{Filename: filepath.Join(abs, f)})
		}
		_, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
			WorkingDir: abs, ConfigFiles: cfg, Environment: types.Mapping{},
		})
		if err == nil || !strings.Contains(err.Error(), "make-env.sh") {
			t.Errorf("%s: loads without passwords (a default password?): %v", name, err)
		}
	}
}

func forEachVariant(t *testing.T, check func(t *testing.T, p *types.Project)) {
	for name, files := range composeVariants {
		t.Run(name, func(t *testing.T) { check(t, loadCompose(t, files)) })
	}
}

func env(s types.ServiceConfig, name string) (string, bool) {
	v, ok := s.Environment[name]
	if !ok || v == nil || strings.TrimSpace(*v) == "" {
		return "", false // env.Env takes empty for unset
	}
	return *v, true
}

// oneShot says whether a service runs to completion (restart "no") rather than
// staying up.
func oneShot(s types.ServiceConfig) bool { return s.Restart == "no" }

func TestComposeServicesGetOnlyWhatTheyRead(t *testing.T) {
	forEachVariant(t, func(t *testing.T, p *types.Project) {
		reads := map[string]map[string]bool{}
		for name, dir := range serviceDirs {
			s, ok := p.Services[name]
			if !ok {
				t.Errorf("service %s is missing", name)
				continue
			}
			if reads[dir] == nil {
				reads[dir] = readsEnv(t, dir)
			}
			for v := range s.Environment {
				if !reads[dir][v] {
					t.Errorf("%s: %s is set, but %s never reads it", name, v, dir)
				}
			}
			for _, v := range requiredEnv(name) {
				if _, ok := env(s, v); !ok {
					t.Errorf("%s: %s is not set (its default only fits a local run)", name, v)
				}
			}
		}
	})
}

func TestComposeDatabases(t *testing.T) {
	// The roles and databases the init script makes, and its password.
	script, err := os.ReadFile(filepath.Join(root, "deploy/compose/postgres/init-databases.sh"))
	if err != nil {
		t.Fatal(err)
	}
	owners := map[string]string{}
	for _, m := range regexp.MustCompile(`CREATE DATABASE (\w+) OWNER (\w+);`).FindAllStringSubmatch(string(script), -1) {
		owners[m[1]] = m[2]
	}
	forEachVariant(t, func(t *testing.T, p *types.Project) {
		db := p.Services["db"]
		for name, want := range dbServices {
			dbPassword, _ := env(db, rolePassword[want.role])
			ownerPassword, _ := env(db, rolePassword[want.db+"_owner"])
			s := p.Services[name]
			host, _ := env(s, "DB_HOSTNAME")
			port, _ := env(s, "DB_PORT")
			user, _ := env(s, "DB_USER")
			password, _ := env(s, "DB_PASSWORD")
			database, _ := env(s, "DB_NAME")
			if host != "db" || port != "5432" {
				t.Errorf("%s: database at %s:%s, want db:5432", name, host, port)
			}
			if database != want.db || user != want.role {
				t.Errorf("%s: database %s as %s, want %s as %s", name, database, user, want.db, want.role)
			}
			// The database is owned by the migrations' role, never the service's.
			if owners[database] != want.db+"_owner" {
				t.Errorf("%s: init-databases.sh makes %v (database: owner), not %s owned by %s_owner", name, owners, database, want.db)
			}
			if migrateUser, set := env(s, "DB_MIGRATE_USER"); set && migrateUser != want.db+"_owner" {
				t.Errorf("%s: DB_MIGRATE_USER=%s, want %s_owner", name, migrateUser, want.db)
			}
			migrates := name == "command-handler-migrate"
			if v, _ := env(s, "MIGRATE_ON_START"); v != "false" && name != "command-handler-migrate" {
				migrates = true
			}
			migratePassword, _ := env(s, "DB_MIGRATE_PASSWORD")
			if migrates && (migratePassword == "" || migratePassword != ownerPassword) {
				t.Errorf("%s: migrates, but DB_MIGRATE_PASSWORD %q is not the owner's (%q)", name, migratePassword, ownerPassword)
			}
			if !migrates && migratePassword != "" {
				t.Errorf("%s: does not migrate, yet has the owner's password", name)
			}
			if name == "command-handler-migrate" {
				if password != "" {
					t.Errorf("%s: has the runtime role's password; the migrations run as the owner", name)
				}
			} else if password == "" || password != dbPassword {
				t.Errorf("%s: DB_PASSWORD %q differs from the one the database is initialised with (%q)", name, password, dbPassword)
			}
			if dep, ok := s.DependsOn["db"]; !ok || dep.Condition != types.ServiceConditionHealthy {
				t.Errorf("%s: must wait for db to be healthy", name)
			}
		}
	})
}

func TestComposeStartOrder(t *testing.T) {
	forEachVariant(t, func(t *testing.T, p *types.Project) {
		for name, s := range p.Services {
			if oneShot(s) {
				if s.HealthCheck != nil && !s.HealthCheck.Disable {
					t.Errorf("%s: a one-shot needs no health check", name)
				}
			} else if s.HealthCheck == nil || s.HealthCheck.Disable || len(s.HealthCheck.Test) < 2 {
				t.Errorf("%s: no health check", name)
			}
			for dep, d := range s.DependsOn {
				target, ok := p.Services[dep]
				if !ok {
					t.Errorf("%s depends on %s, which does not run", name, dep)
					continue
				}
				switch d.Condition {
				case types.ServiceConditionHealthy:
					if oneShot(target) {
						t.Errorf("%s waits for one-shot %s to be healthy; want service_completed_successfully", name, dep)
					}
				case types.ServiceConditionCompletedSuccessfully:
					if !oneShot(target) {
						t.Errorf("%s waits for %s to complete, but it stays up", name, dep)
					}
				default:
					t.Errorf("%s depends on %s with condition %q: want a health check or completion", name, dep, d.Condition)
				}
			}
			// Everything on Kafka waits for the topics and schemas.
			if _, kafka := env(s, "KAFKA_BROKERS"); kafka && name != "synchronizer" {
				if d := s.DependsOn["synchronizer"]; d.Condition != types.ServiceConditionCompletedSuccessfully {
					t.Errorf("%s: must wait for the synchronizer to complete", name)
				}
			}
		}
		sync := p.Services["synchronizer"]
		for name, s := range p.Services {
			if name == "kafka-acls" {
				// The ACLs come before anything that acts as a principal.
				for _, waiter := range []string{"synchronizer"} {
					if d := p.Services[waiter].DependsOn[name]; d.Condition != types.ServiceConditionCompletedSuccessfully {
						t.Errorf("%s: must wait for kafka-acls to complete", waiter)
					}
				}
			} else if strings.HasPrefix(name, "kafka-") || name == "schema-registry" {
				if d := sync.DependsOn[name]; d.Condition != types.ServiceConditionHealthy {
					t.Errorf("synchronizer: must wait for %s to be healthy", name)
				}
				_ = s
			}
		}
		if got := p.Services["command-handler"].DependsOn["command-handler-migrate"].Condition; got != types.ServiceConditionCompletedSuccessfully {
			t.Errorf("command-handler: must wait for the migration to complete (got %q)", got)
		}
		if v, _ := env(p.Services["command-handler"], "MIGRATE_ON_START"); v != "false" {
			t.Errorf("command-handler: MIGRATE_ON_START=%q; the migrate one-shot does it, want false", v)
		}
	})
}

func TestComposeMemoryLimitsAndNames(t *testing.T) {
	forEachVariant(t, func(t *testing.T, p *types.Project) {
		published := map[string]string{}
		for name, s := range p.Services {
			if s.Deploy == nil || s.Deploy.Resources.Limits == nil || s.Deploy.Resources.Limits.MemoryBytes <= 0 {
				t.Errorf("%s: no memory limit", name)
			}
			for _, port := range s.Ports {
				if other, ok := published[port.Published]; ok {
					t.Errorf("%s and %s both publish host port %s", name, other, port.Published)
				}
				published[port.Published] = name
			}
			if name == "command-handler" {
				continue
			}
			if s.ContainerName != name {
				t.Errorf("%s: container_name %q; the load test samples containers by fixed names, want %q", name, s.ContainerName, name)
			}
		}
	})
}

func TestComposeCommandHandlerScales(t *testing.T) {
	// `docker compose up --scale command-handler=3`: replicas need generated
	// names and no fixed host port.
	forEachVariant(t, func(t *testing.T, p *types.Project) {
		s := p.Services["command-handler"]
		if s.ContainerName != "" {
			t.Errorf("command-handler: container_name %q cannot be scaled", s.ContainerName)
		}
		for _, port := range s.Ports {
			if port.Published != "" {
				t.Errorf("command-handler: publishes host port %s; a second replica could not start", port.Published)
			}
		}
		if g, _ := env(s, "KAFKA_GROUP_ID"); g == "" || strings.Contains(g, "$") {
			t.Errorf("command-handler: replicas must share one fixed consumer group, got %q", g)
		}
	})
}
