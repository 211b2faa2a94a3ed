package checks

import (
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"

	"openbank/topology"
)

// program says which Go program a container runs, by image and arguments.
func program(c corev1.Container) string {
	name := strings.Split(path.Base(c.Image), ":")[0]
	if name == "command-handler" && slices.Equal(c.Args, []string{"migrate"}) {
		return "command-handler-migrate"
	}
	if _, ok := serviceDirs[name]; ok {
		return name
	}
	return ""
}

func envValue(c corev1.Container, name string) (corev1.EnvVar, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e, e.Value != "" || e.ValueFrom != nil
		}
	}
	return corev1.EnvVar{}, false
}

func TestKubernetesServicesGetOnlyWhatTheyRead(t *testing.T) {
	m := loadManifests(t)
	k := m.kafkas[0]
	var tlsPort int
	for _, l := range k.Spec.Kafka.Listeners {
		if l.TLS && l.Type == "internal" {
			tlsPort = l.Port
		}
	}
	bootstrap := fmt.Sprintf("%s-kafka-bootstrap:%d", k.Name, tlsPort)
	// Secrets Strimzi makes: the cluster CA and one per KafkaUser.
	strimziSecrets := map[string][]string{k.Name + "-cluster-ca-cert": {"ca.crt", "ca.p12", "ca.password"}}
	for _, u := range m.users {
		strimziSecrets[u.Name] = []string{"user.crt", "user.key", "user.p12", "user.password"}
	}
	secretHas := func(name, key string) bool {
		if keys, ok := strimziSecrets[name]; ok {
			return slices.Contains(keys, key)
		}
		s, ok := m.secrets[name]
		if !ok {
			return false
		}
		_, inString := s.StringData[key]
		_, inData := s.Data[key]
		return inString || inData
	}
	seen := map[string]bool{}
	for _, d := range m.deployments {
		pod := d.Spec.Template.Spec
		for _, c := range append(slices.Clone(pod.InitContainers), pod.Containers...) {
			prog := program(c)
			if prog == "" {
				continue
			}
			seen[prog] = true
			where := d.Name + "/" + c.Name
			reads := readsEnv(t, serviceDirs[prog])
			for _, e := range c.Env {
				if !reads[e.Name] {
					t.Errorf("%s: %s is set, but %s never reads it", where, e.Name, serviceDirs[prog])
				}
				if r := e.ValueFrom; r != nil && r.SecretKeyRef != nil && !secretHas(r.SecretKeyRef.Name, r.SecretKeyRef.Key) {
					t.Errorf("%s: %s from secret %s key %s, which nothing makes", where, e.Name, r.SecretKeyRef.Name, r.SecretKeyRef.Key)
				}
			}
			for _, v := range requiredEnv(prog) {
				if _, ok := envValue(c, v); !ok {
					t.Errorf("%s: %s is not set", where, v)
				}
			}
			if prog == "command-handler-migrate" {
				continue
			}
			if e, _ := envValue(c, "KAFKA_BROKERS"); e.Value != bootstrap {
				t.Errorf("%s: KAFKA_BROKERS=%q, want the TLS bootstrap %s", where, e.Value, bootstrap)
			}
			if e, _ := envValue(c, "SCHEMA_REGISTRY_URL"); !m.hasService(e.Value) {
				t.Errorf("%s: SCHEMA_REGISTRY_URL=%q names no Service port", where, e.Value)
			}
			for _, v := range []string{"SSL_CA_LOCATION", "SSL_CERTIFICATE_LOCATION", "SSL_KEY_LOCATION"} {
				e, ok := envValue(c, v)
				if !ok {
					t.Errorf("%s: %s is not set: the listener wants client certificates", where, v)
					continue
				}
				if secret, key := mountedSecret(pod, c, e.Value); !secretHas(secret, key) {
					t.Errorf("%s: %s=%s is no key of a mounted secret (found secret %q key %q)", where, v, e.Value, secret, key)
				}
			}
		}
	}
	for prog := range serviceDirs {
		if !seen[prog] {
			t.Errorf("no container runs %s", prog)
		}
	}
}

// mountedSecret finds the secret and key a file path in container c comes from.
func mountedSecret(pod corev1.PodSpec, c corev1.Container, file string) (secret, key string) {
	for _, vm := range c.VolumeMounts {
		rel, err := filepath.Rel(vm.MountPath, file)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		for _, v := range pod.Volumes {
			if v.Name != vm.Name || v.Secret == nil {
				continue
			}
			if len(v.Secret.Items) == 0 {
				return v.Secret.SecretName, rel
			}
			for _, it := range v.Secret.Items {
				if it.Path == rel {
					return v.Secret.SecretName, it.Key
				}
			}
		}
	}
	return "", ""
}

// hasService says whether rawURL (http://name:port) names a Service and one of its ports.
func (m *manifests) hasService(rawURL string) bool {
	host, port, ok := strings.Cut(strings.TrimPrefix(rawURL, "http://"), ":")
	if !ok {
		return false
	}
	for _, s := range m.services {
		for _, p := range s.Spec.Ports {
			if s.Name == host && strconv.Itoa(int(p.Port)) == port {
				return true
			}
		}
	}
	return false
}

func TestKubernetesDatabases(t *testing.T) {
	m := loadManifests(t)
	pg := m.pgClusters[0]
	owners := map[string]string{pg.Spec.Bootstrap.InitDB.Database: pg.Spec.Bootstrap.InitDB.Owner}
	roleSecret := map[string]string{pg.Spec.Bootstrap.InitDB.Owner: pg.Spec.Bootstrap.InitDB.Secret.Name}
	for _, r := range pg.Spec.Managed.Roles {
		roleSecret[r.Name] = r.PasswordSecret.Name
	}
	for _, d := range m.pgDatabases {
		if d.Spec.Cluster.Name != pg.Name {
			t.Errorf("Database %s: in cluster %s, not %s", d.Name, d.Spec.Cluster.Name, pg.Name)
		}
		owners[d.Spec.Name] = d.Spec.Owner
	}
	for role := range roleSecret {
		// Each role only to its own database: its database's line, then a reject.
		reject := slices.Index(pg.Spec.Postgresql.PgHBA, "host all "+role+" all reject")
		own := slices.IndexFunc(pg.Spec.Postgresql.PgHBA, func(l string) bool {
			f := strings.Fields(l)
			return len(f) == 5 && f[2] == role && f[1] != "all"
		})
		if reject < 0 || own < 0 || own > reject {
			t.Errorf("role %s: pg_hba %q must let it reach its database only", role, pg.Spec.Postgresql.PgHBA)
		}
	}
	for role, secret := range roleSecret {
		s, ok := m.secrets[secret]
		if !ok || s.Type != corev1.SecretTypeBasicAuth || s.StringData["username"] != role {
			t.Errorf("role %s: secret %s must be a basic-auth Secret with username %s", role, secret, role)
		}
	}
	for _, d := range m.deployments {
		pod := d.Spec.Template.Spec
		for _, c := range append(slices.Clone(pod.InitContainers), pod.Containers...) {
			want, ok := dbServices[program(c)]
			if !ok {
				continue
			}
			where := d.Name + "/" + c.Name
			host, _ := envValue(c, "DB_HOSTNAME")
			name, _ := envValue(c, "DB_NAME")
			user, _ := envValue(c, "DB_USER")
			pw, hasPW := envValue(c, "DB_PASSWORD")
			migrateUser, _ := envValue(c, "DB_MIGRATE_USER")
			migratePW, hasMigratePW := envValue(c, "DB_MIGRATE_PASSWORD")
			onStart, _ := envValue(c, "MIGRATE_ON_START")
			migrateOnly := slices.Equal(c.Args, []string{"migrate"})
			owner := want.db + "_owner"
			if host.Value != pg.Name+"-rw" {
				t.Errorf("%s: DB_HOSTNAME=%q, want the primary %s-rw", where, host.Value, pg.Name)
			}
			// The database is owned by the migrations' role, never the service's.
			if name.Value != want.db || owners[want.db] != owner {
				t.Errorf("%s: DB_NAME=%q; %s must exist owned by %s (databases: %v)", where, name.Value, want.db, owner, owners)
			}
			fromSecret := func(v string, e corev1.EnvVar, role string) {
				if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.ValueFrom.SecretKeyRef.Name != roleSecret[role] {
					t.Errorf("%s: %s must come from secret %s, the one role %s is made with", where, v, roleSecret[role], role)
				}
			}
			fromSecret("DB_USER", user, want.role)
			if migrateOnly == hasPW {
				t.Errorf("%s: DB_PASSWORD set %v; want it where the service runs, not where only migrations do", where, hasPW)
			} else if hasPW {
				fromSecret("DB_PASSWORD", pw, want.role)
			}
			if migrates := migrateOnly || onStart.Value != "false"; migrates != hasMigratePW {
				t.Errorf("%s: DB_MIGRATE_PASSWORD set %v; want it exactly where migrations run", where, hasMigratePW)
			} else if migrates {
				fromSecret("DB_MIGRATE_USER", migrateUser, owner)
				fromSecret("DB_MIGRATE_PASSWORD", migratePW, owner)
			}
		}
	}
}

func TestKubernetesProbesResourcesAndPorts(t *testing.T) {
	m := loadManifests(t)
	for _, d := range m.deployments {
		pod := d.Spec.Template.Spec
		if !labels.SelectorFromSet(d.Spec.Selector.MatchLabels).Matches(labels.Set(d.Spec.Template.Labels)) {
			t.Errorf("%s: the selector does not select its own pods", d.Name)
		}
		for _, c := range append(slices.Clone(pod.InitContainers), pod.Containers...) {
			where := d.Name + "/" + c.Name
			if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
				t.Errorf("%s: want CPU and memory requests and a memory limit", where)
			}
		}
		for _, c := range pod.Containers {
			where := d.Name + "/" + c.Name
			if c.ReadinessProbe == nil || c.LivenessProbe == nil {
				t.Errorf("%s: want readiness and liveness probes", where)
				continue
			}
			for _, p := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe, c.StartupProbe} {
				if p == nil || p.HTTPGet == nil {
					continue
				}
				if !slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool { return cp.Name == p.HTTPGet.Port.StrVal }) {
					t.Errorf("%s: probe on port %q, which the container does not name", where, p.HTTPGet.Port.String())
				}
			}
			if e, ok := envValue(c, "HTTP_PORT"); ok {
				if len(c.Ports) != 1 || strconv.Itoa(int(c.Ports[0].ContainerPort)) != e.Value {
					t.Errorf("%s: HTTP_PORT=%s, container ports %v", where, e.Value, c.Ports)
				}
			}
		}
	}
	for _, s := range m.services {
		d := m.selects(s.Spec.Selector)
		if d == nil {
			t.Errorf("Service %s selects no Deployment's pods", s.Name)
			continue
		}
		for _, p := range s.Spec.Ports {
			if !slices.ContainsFunc(d.Spec.Template.Spec.Containers, func(c corev1.Container) bool {
				return slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool { return cp.Name == p.TargetPort.StrVal })
			}) {
				t.Errorf("Service %s: target port %q is no container port of %s", s.Name, p.TargetPort.String(), d.Name)
			}
		}
	}
}

// selects returns the Deployment whose pods the selector picks.
func (m *manifests) selects(sel map[string]string) *appsv1.Deployment {
	for _, d := range m.deployments {
		if len(sel) > 0 && labels.SelectorFromSet(sel).Matches(labels.Set(d.Spec.Template.Labels)) {
			return d
		}
	}
	return nil
}

func TestKubernetesDisruptionBudgetsAndAutoscaling(t *testing.T) {
	m := loadManifests(t)
	for _, p := range m.pdbs {
		d := m.selects(p.Spec.Selector.MatchLabels)
		if d == nil {
			t.Errorf("PodDisruptionBudget %s selects no Deployment", p.Name)
			continue
		}
		// A budget that allows no disruption blocks every node drain.
		if p.Spec.MinAvailable == nil || d.Spec.Replicas == nil || p.Spec.MinAvailable.IntValue() >= int(*d.Spec.Replicas) {
			t.Errorf("PodDisruptionBudget %s: minAvailable %v of %v replicas leaves no pod to evict", p.Name, p.Spec.MinAvailable, d.Spec.Replicas)
		}
	}
	if !slices.ContainsFunc(m.pdbs, func(p *policyv1.PodDisruptionBudget) bool { return p.Name == "command-handler" }) {
		t.Error("no PodDisruptionBudget for the command handler")
	}
	commands, _ := topology.TopicByName(topology.TopicCommands)
	found := false
	for _, h := range m.hpas {
		ref := h.Spec.ScaleTargetRef
		var target *appsv1.Deployment
		for _, d := range m.deployments {
			if ref.Kind == "Deployment" && ref.APIVersion == "apps/v1" && d.Name == ref.Name {
				target = d
			}
		}
		if target == nil {
			t.Errorf("HorizontalPodAutoscaler %s: scales %s %s, which is not here", h.Name, ref.Kind, ref.Name)
			continue
		}
		if ref.Name != "command-handler" {
			continue
		}
		found = true
		// One consumer per partition at most: more handlers would sit idle.
		if int(h.Spec.MaxReplicas) != commands.Partitions {
			t.Errorf("command-handler autoscaler: maxReplicas %d, want the %d partitions of %s", h.Spec.MaxReplicas, commands.Partitions, commands.Name)
		}
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 1 || *h.Spec.MinReplicas > h.Spec.MaxReplicas {
			t.Errorf("command-handler autoscaler: minReplicas %v", h.Spec.MinReplicas)
		}
		for _, c := range target.Spec.Template.Spec.Containers {
			if c.Resources.Requests.Cpu().IsZero() {
				t.Errorf("command-handler/%s: CPU utilisation needs a CPU request", c.Name)
			}
		}
	}
	if !found {
		t.Error("no HorizontalPodAutoscaler for the command handler")
	}
}
