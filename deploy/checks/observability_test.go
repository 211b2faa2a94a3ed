package checks

import (
	"encoding/json"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"sigs.k8s.io/yaml"
)

// Checks of deploy/observability: Prometheus scrapes every service compose
// runs, the services' traces reach Jaeger, and Grafana's dashboard asks for
// metrics the services export, from provisioned data sources.

const observability = "deploy/observability"

type scrapeConfig struct {
	Global struct {
		ScrapeInterval     string `json:"scrape_interval"`
		EvaluationInterval string `json:"evaluation_interval"`
	} `json:"global"`
	ScrapeConfigs []struct {
		JobName       string `json:"job_name"`
		StaticConfigs []struct {
			Targets []string `json:"targets"`
		} `json:"static_configs"`
		DNSSDConfigs []struct {
			Names []string `json:"names"`
			Type  string   `json:"type"`
			Port  int      `json:"port"`
		} `json:"dns_sd_configs"`
	} `json:"scrape_configs"`
}

// scrapeTargets maps each job to its host:port targets.
func scrapeTargets(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, observability, "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c scrapeConfig
	if err := yaml.UnmarshalStrict(b, &c); err != nil {
		t.Fatalf("prometheus.yml: %v", err)
	}
	jobs := map[string][]string{}
	for _, sc := range c.ScrapeConfigs {
		for _, s := range sc.StaticConfigs {
			jobs[sc.JobName] = append(jobs[sc.JobName], s.Targets...)
		}
		for _, d := range sc.DNSSDConfigs {
			for _, n := range d.Names {
				jobs[sc.JobName] = append(jobs[sc.JobName], n+":"+strconv.Itoa(d.Port))
			}
		}
	}
	return jobs
}

func TestPrometheusScrapesEveryService(t *testing.T) {
	jobs := scrapeTargets(t)
	forEachVariant(t, func(t *testing.T, p *types.Project) {
		for name := range serviceDirs {
			s := p.Services[name]
			port, ok := env(s, "HTTP_PORT")
			if !ok || oneShot(s) {
				continue
			}
			if ops, ok := env(s, "OPS_PORT"); ok {
				port = ops // the gateway's /metrics, apart from its API
			}
			if want := name + ":" + port; !slices.Equal(jobs[name], []string{want}) {
				t.Errorf("prometheus.yml: job %s scrapes %v, want %s (the service's OPS_PORT or HTTP_PORT)", name, jobs[name], want)
			}
		}
		for job, targets := range jobs {
			for _, target := range targets {
				host, _, _ := strings.Cut(target, ":")
				if _, ok := p.Services[host]; !ok && host != "localhost" {
					t.Errorf("prometheus.yml: job %s scrapes %s, which is no compose service", job, target)
				}
			}
		}
		// Prometheus reads the file it was given.
		prom := p.Services["prometheus"]
		if !slices.Contains(prom.Command, "--config.file=/etc/prometheus/prometheus.yml") ||
			!mounts(prom, filepath.Join(observability, "prometheus.yml"), "/etc/prometheus/prometheus.yml") {
			t.Errorf("prometheus: does not run with deploy/observability/prometheus.yml (command %v)", prom.Command)
		}
	})
}

// mounts says whether s has the repository's path bind-mounted read-only at target.
func mounts(s types.ServiceConfig, path, target string) bool {
	abs, _ := filepath.Abs(filepath.Join(root, path))
	for _, v := range s.Volumes {
		if v.Type == types.VolumeTypeBind && v.Source == abs && v.Target == target && v.ReadOnly {
			return true
		}
	}
	return false
}

func TestTracesGoToJaeger(t *testing.T) {
	forEachVariant(t, func(t *testing.T, p *types.Project) {
		jaeger, ok := p.Services["jaeger"]
		if !ok {
			t.Fatal("no jaeger service")
		}
		traced := 0
		for name, dir := range serviceDirs {
			if !readsEnv(t, dir)["OTEL_EXPORTER_OTLP_ENDPOINT"] || oneShot(p.Services[name]) {
				continue
			}
			traced++
			endpoint, _ := env(p.Services[name], "OTEL_EXPORTER_OTLP_ENDPOINT")
			u, err := url.Parse(endpoint)
			if err != nil || u.Scheme != "http" || u.Hostname() != "jaeger" || !slices.Contains(jaeger.Expose, u.Port()) {
				t.Errorf("%s: OTEL_EXPORTER_OTLP_ENDPOINT=%q, want Jaeger's OTLP/HTTP port (jaeger exposes %v)", name, endpoint, jaeger.Expose)
			}
		}
		if traced < 2 {
			t.Errorf("%d services read OTEL_EXPORTER_OTLP_ENDPOINT; the command handler and the gateway should", traced)
		}
	})
}

type dashboard struct {
	UID    string `json:"uid"`
	Panels []struct {
		Title      string `json:"title"`
		Type       string `json:"type"`
		Datasource *struct {
			UID string `json:"uid"`
		} `json:"datasource"`
		Targets []struct {
			Expr       string `json:"expr"`
			Datasource struct {
				UID string `json:"uid"`
			} `json:"datasource"`
		} `json:"targets"`
	} `json:"panels"`
}

// bankMetric finds the bank's own metric names in PromQL.
var bankMetric = regexp.MustCompile(`\b(?:bank|command_handler|command_generator|graphql|heartbeat)_[a-z0-9_]+\b`)

func TestGrafanaDashboard(t *testing.T) {
	p := loadCompose(t, composeVariants["three brokers with TLS"])
	grafana := p.Services["grafana"]
	dir := filepath.Join(observability, "grafana")
	if !mounts(grafana, filepath.Join(dir, "provisioning"), "/etc/grafana/provisioning") {
		t.Error("grafana: deploy/observability/grafana/provisioning is not mounted at /etc/grafana/provisioning")
	}
	var providers struct {
		Providers []struct {
			Options struct {
				Path string `json:"path"`
			} `json:"options"`
		} `json:"providers"`
	}
	readYAML(t, filepath.Join(dir, "provisioning/dashboards/dashboards.yml"), &providers)
	if len(providers.Providers) != 1 || !mounts(grafana, filepath.Join(dir, "dashboards"), providers.Providers[0].Options.Path) {
		t.Errorf("grafana: the dashboards folder is not mounted where the provider reads (%+v)", providers)
	}
	var sources struct {
		Datasources []struct {
			UID, Type, URL string
		} `json:"datasources"`
	}
	readYAML(t, filepath.Join(dir, "provisioning/datasources/datasources.yml"), &sources)
	uids := map[string]bool{}
	for _, ds := range sources.Datasources {
		uids[ds.UID] = true
		u, err := url.Parse(ds.URL)
		if err != nil {
			t.Errorf("data source %s: %v", ds.UID, err)
			continue
		}
		s, ok := p.Services[u.Hostname()]
		if !ok || !slices.ContainsFunc(s.Ports, func(pc types.ServicePortConfig) bool { return strconv.Itoa(int(pc.Target)) == u.Port() }) {
			t.Errorf("data source %s at %s: no compose service listens there", ds.UID, ds.URL)
		}
	}

	exported := exportedMetrics(t)
	dashboards, _ := filepath.Glob(filepath.Join(root, dir, "dashboards", "*.json"))
	if len(dashboards) == 0 {
		t.Fatal("no dashboards")
	}
	for _, path := range dashboards {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboard
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		exprs := 0
		for _, panel := range d.Panels {
			if panel.Type == "row" {
				continue
			}
			if panel.Datasource == nil || !uids[panel.Datasource.UID] {
				t.Errorf("%s: panel %q has no provisioned data source", path, panel.Title)
			}
			for _, target := range panel.Targets {
				exprs++
				if !uids[target.Datasource.UID] || strings.TrimSpace(target.Expr) == "" {
					t.Errorf("%s: panel %q: query %q on data source %q", path, panel.Title, target.Expr, target.Datasource.UID)
				}
				for _, m := range bankMetric.FindAllString(target.Expr, -1) {
					if !exported[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m, "_bucket"), "_sum"), "_count")] {
						t.Errorf("%s: panel %q asks for %s, which no service exports", path, panel.Title, m)
					}
				}
			}
		}
		if exprs == 0 {
			t.Errorf("%s: no queries", path)
		}
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// exportedMetrics is every quoted metric-like name in the services' and
// shared packages' Go sources: what /metrics can show.
func exportedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	quoted := regexp.MustCompile(`"([a-z][a-z0-9_]+)"`)
	for _, dir := range []string{"services", "messaging", "kit"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			b, err := os.ReadFile(path)
			for _, m := range quoted.FindAllStringSubmatch(string(b), -1) {
				names[m[1]] = true
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if !names["bank_hop_seconds"] {
		t.Fatal("the scan found no bank_hop_seconds; has the way metrics are named changed?")
	}
	return names
}
