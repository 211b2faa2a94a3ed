package checks

import (
	"context"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
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
	"POSTGRES_PASSWORD":            "test-admin-password",
	"COMMAND_HANDLER_DB_PASSWORD":  "test-command-handler-password",
	"GRAPHQL_ENDPOINT_DB_PASSWORD": "test-graphql-endpoint-password",
}

// rolePassword names the variable with each role's password.
var rolePassword = map[string]string{
	"command_handler":  "COMMAND_HANDLER_DB_PASSWORD",
	"graphql_endpoint": "GRAPHQL_ENDPOINT_DB_PASSWORD",
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
		return "", false // topology.Env takes empty for unset
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
			if owners[database] != user {
				t.Errorf("%s: init-databases.sh makes %v (database: owner), not %s owned by %s", name, owners, database, user)
			}
			if password == "" || password != dbPassword {
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
			if strings.HasPrefix(name, "kafka-") || name == "schema-registry" {
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

// probePort returns the port of the health check's URL.
func probePort(t *testing.T, name string, hc *types.HealthCheckConfig) string {
	t.Helper()
	for _, arg := range hc.Test {
		if u, err := url.Parse(arg); err == nil && u.Scheme == "http" {
			return u.Port()
		}
	}
	t.Errorf("%s: health check %v has no http URL", name, hc.Test)
	return ""
}

func TestComposePortsLineUp(t *testing.T) {
	forEachVariant(t, func(t *testing.T, p *types.Project) {
		for name := range serviceDirs {
			s := p.Services[name]
			port, ok := env(s, "HTTP_PORT")
			if !ok {
				continue
			}
			if got := probePort(t, name, s.HealthCheck); got != port {
				t.Errorf("%s: health check on port %s, HTTP_PORT=%s", name, got, port)
			}
			open := slices.Contains(s.Expose, port)
			for _, pc := range s.Ports {
				if strconv.Itoa(int(pc.Target)) == port {
					open = true
				} else {
					t.Errorf("%s: publishes container port %d; it listens on %s", name, pc.Target, port)
				}
			}
			if !open {
				t.Errorf("%s: port %s is neither exposed nor published", name, port)
			}
		}
		// What users and the load test reach on the host (docs/design.md).
		for name, port := range map[string]string{"frontend": "8181", "graphql-endpoint": "8888", "heartbeat": "17888"} {
			if !slices.ContainsFunc(p.Services[name].Ports, func(pc types.ServicePortConfig) bool { return pc.Published == port }) {
				t.Errorf("%s: host port %s is not published", name, port)
			}
		}
	})
}

// listeners parses "NAME://host:port,..." into name → host:port.
func listeners(s string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(s, ",") {
		if name, addr, ok := strings.Cut(strings.TrimSpace(l), "://"); ok {
			m[name] = addr
		}
	}
	return m
}

func TestComposeKafkaAddresses(t *testing.T) {
	forEachVariant(t, func(t *testing.T, p *types.Project) {
		// Every address a client is given is a broker's advertised listener, on a
		// protocol the client's TLS settings fit.
		advertised := map[string]string{} // host:port → protocol
		brokers := 0
		for name, s := range p.Services {
			adv, ok := env(s, "KAFKA_ADVERTISED_LISTENERS")
			if !ok {
				continue
			}
			brokers++
			if strings.Contains(adv, "SSL://") {
				t.Errorf("%s: advertised listeners %q contain SSL://, which makes the image's start script want a JKS keystore", name, adv)
			}
			protoMap, _ := env(s, "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP")
			protos := map[string]string{}
			for _, kv := range strings.Split(protoMap, ",") {
				k, v, _ := strings.Cut(kv, ":")
				protos[k] = v
			}
			for l, addr := range listeners(adv) {
				if protos[l] == "" {
					t.Errorf("%s: listener %s has no security protocol", name, l)
				}
				advertised[addr] = protos[l]
			}
			voters, _ := env(s, "KAFKA_CONTROLLER_QUORUM_VOTERS")
			id, _ := env(s, "KAFKA_NODE_ID")
			if !strings.Contains(","+voters, ","+id+"@"+name+":") {
				t.Errorf("%s: node %s is not among the quorum voters %s", name, id, voters)
			}
		}
		for name := range serviceDirs {
			s := p.Services[name]
			list, ok := env(s, "KAFKA_BROKERS")
			if !ok {
				continue
			}
			_, tls := env(s, "SSL_CA_LOCATION")
			for _, addr := range strings.Split(list, ",") {
				proto, ok := advertised[addr]
				switch {
				case !ok:
					t.Errorf("%s: KAFKA_BROKERS names %s, which no broker advertises", name, addr)
				case tls != (proto == "SSL"):
					t.Errorf("%s: %s speaks %s, but TLS is %v for the client", name, addr, proto, tls)
				}
			}
			if n := len(strings.Split(list, ",")); n != brokers {
				t.Errorf("%s: KAFKA_BROKERS lists %d brokers of %d", name, n, brokers)
			}
			reg, _ := env(s, "SCHEMA_REGISTRY_URL")
			u, err := url.Parse(reg)
			if err != nil || u.Host != "schema-registry:8081" {
				t.Errorf("%s: SCHEMA_REGISTRY_URL=%q, want http://schema-registry:8081", name, reg)
			}
		}
		if l, _ := env(p.Services["schema-registry"], "SCHEMA_REGISTRY_LISTENERS"); !strings.HasSuffix(l, ":8081") {
			t.Errorf("schema-registry listens on %q, services use 8081", l)
		}
	})
}

func TestComposeTLSFilesAreMounted(t *testing.T) {
	script, err := os.ReadFile(filepath.Join(root, "deploy/certs/make-certs.sh"))
	if err != nil {
		t.Fatal(err)
	}
	p := loadCompose(t, composeVariants["three brokers with TLS"])
	abs, _ := filepath.Abs(root)
	generated := filepath.Join(abs, "deploy/certs/generated")
	for name := range serviceDirs {
		s := p.Services[name]
		for _, v := range []string{"SSL_CA_LOCATION", "SSL_CERTIFICATE_LOCATION", "SSL_KEY_LOCATION"} {
			path, ok := env(s, v)
			if !ok {
				if name != "command-handler-migrate" {
					t.Errorf("%s: %s is not set: the brokers only speak TLS", name, v)
				}
				continue
			}
			found := false
			for _, vol := range s.Volumes {
				rel, err := filepath.Rel(vol.Target, path)
				if vol.Type != types.VolumeTypeBind || err != nil || strings.HasPrefix(rel, "..") {
					continue
				}
				found = true
				src, _ := filepath.Rel(generated, filepath.Join(vol.Source, rel))
				// make-certs.sh writes "$OUT/client/client.pem" and the like.
				if strings.HasPrefix(src, "..") || !strings.Contains(string(script), `"$OUT/`+src+`"`) {
					t.Errorf("%s: %s=%s comes from %s, which make-certs.sh does not make", name, v, path, filepath.Join(vol.Source, rel))
				}
				if !vol.ReadOnly {
					t.Errorf("%s: certificates mounted writable", name)
				}
			}
			if !found {
				t.Errorf("%s: %s=%s is in no mounted volume", name, v, path)
			}
		}
	}
}

func TestComposeBuilds(t *testing.T) {
	forEachVariant(t, func(t *testing.T, p *types.Project) {
		for name, dir := range serviceDirs {
			s := p.Services[name]
			if s.Build == nil {
				t.Errorf("%s: no build", name)
				continue
			}
			abs, _ := filepath.Abs(root)
			if s.Build.Context != abs {
				t.Errorf("%s: build context %s; the modules replace ../../topology, so it must be the repository root", name, s.Build.Context)
			}
			df := filepath.Join(s.Build.Context, s.Build.Dockerfile)
			if want := filepath.Join(abs, serviceDockerfile); df != want {
				t.Errorf("%s: Dockerfile %s, want %s", name, df, want)
			}
			if arg := s.Build.Args["SERVICE"]; arg == nil || *arg != filepath.Base(dir) {
				got := "(unset)"
				if arg != nil {
					got = *arg
				}
				t.Errorf("%s: build argument SERVICE=%s, want %s (it is built from %s)", name, got, filepath.Base(dir), dir)
			}
			b, err := os.ReadFile(df)
			if err != nil {
				t.Error(err)
				continue
			}
			if s.HealthCheck != nil && s.HealthCheck.Test[1] == "/probe" && !strings.Contains(string(b), "/out/probe /") {
				t.Errorf("%s: the health check runs /probe, which %s does not install", name, df)
			}
		}
	})
}

func TestFrontendProxiesToTheGateway(t *testing.T) {
	conf, err := os.ReadFile(filepath.Join(root, "frontend/nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	p := loadCompose(t, composeVariants["three brokers with TLS"])
	gw := p.Services["graphql-endpoint"]
	port, _ := env(gw, "HTTP_PORT")
	upstream := regexp.MustCompile(`(?m)^\s*server\s+(\S+);`).FindSubmatch(conf)
	if upstream == nil || string(upstream[1]) != net.JoinHostPort("graphql-endpoint", port) {
		t.Errorf("nginx.conf: upstream %q, want graphql-endpoint:%s", upstream, port)
	}
	for _, path := range []string{"/graphql", "/graphql-ws"} {
		loc := regexp.MustCompile(`location ~ \^/graphql\(-ws\)\?\$`)
		if !loc.Match(conf) {
			t.Errorf("nginx.conf: no location proxies %s", path)
		}
	}
	if !regexp.MustCompile(`(?m)^\s*listen 8181;`).Match(conf) {
		t.Error("nginx.conf: does not listen on 8181")
	}
	if !strings.Contains(string(conf), "proxy_set_header Upgrade $http_upgrade") {
		t.Error("nginx.conf: WebSocket upgrades are not passed on")
	}
	if got := probePort(t, "frontend", p.Services["frontend"].HealthCheck); got != "8181" {
		t.Errorf("frontend: health check on %s", got)
	}
}
