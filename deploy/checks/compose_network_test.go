package checks

import (
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

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
		if hc := p.Services["schema-registry"].HealthCheck; hc == nil || !strings.Contains(strings.Join(hc.Test, " "), "127.0.0.1:8081/") {
			t.Errorf("schema-registry: its health check does not ask port 8081, which the services use (registry-entrypoint's port)")
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
				// make-certs.sh writes "$OUT/$p/client.pem" and the like for
				// each principal $p; a service presents its own.
				dir, file := filepath.Split(src)
				if filepath.Clean(dir) != name || !strings.Contains(string(script), `"$OUT/$p/`+file+`"`) {
					t.Errorf("%s: %s=%s comes from %s, not from its own principal's folder that make-certs.sh makes", name, v, path, filepath.Join(vol.Source, rel))
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
