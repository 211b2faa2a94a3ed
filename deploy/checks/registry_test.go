package checks

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"

	"openbank/topology"
)

// registryDockerfile builds the schema registry of compose and Kubernetes; its
// entry point writes a config with basic auth always on (deploy/registry).
const registryDockerfile = "deploy/registry/Dockerfile"

// registrar is the one principal that registers schemas.
func registrar(t *testing.T) string {
	t.Helper()
	var names []string
	for _, a := range topology.Accesses() {
		if a.Registers {
			names = append(names, a.Principal)
		}
	}
	if len(names) != 1 {
		t.Fatalf("want one principal that registers schemas, the topology has %v", names)
	}
	return names[0]
}

// registryPasswordVar is registry-entrypoint's variable for user's password.
func registryPasswordVar(user string) string {
	return "REGISTRY_PASSWORD_" + strings.ToUpper(strings.ReplaceAll(user, "-", "_"))
}

// checkRegistryUsers: the registry's users are the topology's principals and
// its one super admin the registrar; get(name) reads its environment.
func checkRegistryUsers(t *testing.T, where string, get func(string) string) {
	t.Helper()
	users := strings.Split(get("REGISTRY_USERS"), ",")
	if !slices.Equal(slices.Sorted(slices.Values(users)), slices.Sorted(slices.Values(topology.Principals()))) {
		t.Errorf("%s: REGISTRY_USERS=%v, want a user per principal %v (no registry without auth)", where, users, topology.Principals())
	}
	if a := get("REGISTRY_SUPER_ADMIN"); a != registrar(t) {
		t.Errorf("%s: REGISTRY_SUPER_ADMIN=%q, want the only principal that registers, %s", where, a, registrar(t))
	}
}

func TestComposeRegistryRequiresCredentials(t *testing.T) {
	initSQL, err := os.ReadFile(filepath.Join(root, "deploy/compose/postgres/init-databases.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CREATE ROLE schemaregistry LOGIN PASSWORD", "CREATE DATABASE schemaregistry OWNER schemaregistry"} {
		if !strings.Contains(string(initSQL), want) {
			t.Errorf("init-databases.sh: no %q", want)
		}
	}
	forEachVariant(t, func(t *testing.T, p *types.Project) {
		reg := p.Services["schema-registry"]
		if reg.Build == nil || reg.Build.Dockerfile != registryDockerfile || len(reg.Entrypoint) > 0 || len(reg.Command) > 0 {
			t.Errorf("schema-registry: want %s run by its own entry point (which turns auth on), have build %+v, entrypoint %v, command %v",
				registryDockerfile, reg.Build, reg.Entrypoint, reg.Command)
		}
		if !reg.ReadOnly || !slices.Contains(reg.CapDrop, "ALL") || !slices.Contains(reg.SecurityOpt, "no-new-privileges:true") {
			t.Error("schema-registry: want a read-only root, no capabilities and no-new-privileges")
		}
		get := func(k string) string { v, _ := env(reg, k); return v }
		checkRegistryUsers(t, "schema-registry", get)
		db, _ := env(p.Services["db"], "SCHEMA_REGISTRY_DB_PASSWORD")
		if get("SCHEMA_REGISTRY_PG_HOST") != "db" || get("SCHEMA_REGISTRY_PG_DATABASE") != "schemaregistry" ||
			get("SCHEMA_REGISTRY_PG_USER") != "schemaregistry" || db == "" || get("SCHEMA_REGISTRY_PG_PASSWORD") != db {
			t.Error("schema-registry: want PostgreSQL's schemaregistry database as its role, with the password the database was given")
		}
		for name, s := range p.Services {
			if _, ok := env(s, "SCHEMA_REGISTRY_URL"); !ok {
				continue
			}
			user, _ := env(s, "SCHEMA_REGISTRY_USERNAME")
			pw, _ := env(s, "SCHEMA_REGISTRY_PASSWORD")
			if user != name {
				t.Errorf("%s: SCHEMA_REGISTRY_USERNAME=%q, want its own principal %q", name, user, name)
			}
			if want := get(registryPasswordVar(name)); pw == "" || pw != want {
				t.Errorf("%s: SCHEMA_REGISTRY_PASSWORD is not the password the registry gives user %s", name, name)
			}
		}
	})
}

func TestKubernetesRegistryRequiresCredentials(t *testing.T) {
	m := loadManifests(t)
	secretKey := func(c corev1.Container, name string) (string, string) {
		e, _ := envValue(c, name)
		if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			return "", ""
		}
		return e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key
	}
	found := false
	for _, d := range m.deployments {
		pod := d.Spec.Template.Spec
		for _, c := range append(slices.Clone(pod.InitContainers), pod.Containers...) {
			where := d.Name + "/" + c.Name
			if d.Name == "schema-registry" {
				found = true
				if len(c.Command) > 0 || len(c.Args) > 0 || program(c) != "" || !strings.HasPrefix(c.Image, "openbank/schema-registry:") {
					t.Errorf("%s: want image openbank/schema-registry (%s) with its own entry point", where, registryDockerfile)
				}
				checkRegistryUsers(t, where, func(k string) string { e, _ := envValue(c, k); return e.Value })
				for _, u := range topology.Principals() {
					if s, k := secretKey(c, registryPasswordVar(u)); s != "registry-users" || k != u {
						t.Errorf("%s: %s from secret %q key %q, want registry-users key %s", where, registryPasswordVar(u), s, k, u)
					}
				}
				if s, k := secretKey(c, "SCHEMA_REGISTRY_PG_PASSWORD"); s != "db-schemaregistry" || k != "password" {
					t.Errorf("%s: SCHEMA_REGISTRY_PG_PASSWORD from %q key %q, want db-schemaregistry's password", where, s, k)
				}
				continue
			}
			if _, ok := envValue(c, "SCHEMA_REGISTRY_URL"); !ok {
				continue
			}
			prog := program(c)
			if e, _ := envValue(c, "SCHEMA_REGISTRY_USERNAME"); e.Value != prog {
				t.Errorf("%s: SCHEMA_REGISTRY_USERNAME=%q, want its own principal %q", where, e.Value, prog)
			}
			if s, k := secretKey(c, "SCHEMA_REGISTRY_PASSWORD"); s != "registry-users" || k != prog {
				t.Errorf("%s: SCHEMA_REGISTRY_PASSWORD from secret %q key %q, want registry-users key %s", where, s, k, prog)
			}
		}
	}
	if !found {
		t.Error("no schema-registry Deployment")
	}
	dbs := map[string]string{}
	for _, d := range m.pgDatabases {
		dbs[d.Spec.Name] = d.Spec.Owner
	}
	if dbs["schemaregistry"] != "schemaregistry" {
		t.Error("postgres.yaml: no Database schemaregistry owned by the schemaregistry role")
	}
	b, err := os.ReadFile(filepath.Join(root, kubeDir, "make-secrets.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^for role in .*\bschemaregistry\b`).Match(b) {
		t.Error("make-secrets.sh: writes no db-schemaregistry.env")
	}
}
