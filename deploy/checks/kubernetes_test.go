package checks

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	"openbank/topology"
)

const kubeDir = "deploy/kubernetes/base"

// strictCodecs decode the built-in kinds into their API types, failing on
// unknown or duplicate fields.
var strictCodecs = serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict)

type manifests struct {
	deployments []*appsv1.Deployment
	services    []*corev1.Service
	secrets     map[string]*corev1.Secret
	pdbs        []*policyv1.PodDisruptionBudget
	hpas        []*autoscalingv2.HorizontalPodAutoscaler
	namespaces  []*corev1.Namespace
	kafkas      []*kafka
	pools       []*kafkaNodePool
	users       []*kafkaUser
	topics      []*kafkaTopic
	pgClusters  []*pgCluster
	pgDatabases []*pgDatabase
}

// documents splits a multi-document YAML file, dropping documents that hold
// only comments.
func documents(b []byte) [][]byte {
	var docs [][]byte
	for _, d := range bytes.Split(append([]byte("\n"), b...), []byte("\n---\n")) {
		for _, line := range strings.Split(string(d), "\n") {
			if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
				docs = append(docs, d)
				break
			}
		}
	}
	return docs
}

// decode decodes one document strictly into its Go type and files it in m.
func (m *manifests) decode(doc []byte) error {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return err
	}
	strict := func(v any) error { return yaml.UnmarshalStrict(doc, v) }
	switch tm.APIVersion + " " + tm.Kind {
	case "kafka.strimzi.io/v1beta2 Kafka":
		v := &kafka{}
		m.kafkas = append(m.kafkas, v)
		return strict(v)
	case "kafka.strimzi.io/v1beta2 KafkaNodePool":
		v := &kafkaNodePool{}
		m.pools = append(m.pools, v)
		return strict(v)
	case "kafka.strimzi.io/v1beta2 KafkaUser":
		v := &kafkaUser{}
		m.users = append(m.users, v)
		return strict(v)
	case "kafka.strimzi.io/v1beta2 KafkaTopic":
		v := &kafkaTopic{}
		m.topics = append(m.topics, v)
		return strict(v)
	case "postgresql.cnpg.io/v1 Cluster":
		v := &pgCluster{}
		m.pgClusters = append(m.pgClusters, v)
		return strict(v)
	case "postgresql.cnpg.io/v1 Database":
		v := &pgDatabase{}
		m.pgDatabases = append(m.pgDatabases, v)
		return strict(v)
	}
	obj, _, err := strictCodecs.UniversalDeserializer().Decode(doc, nil, nil)
	if err != nil {
		return err
	}
	switch o := obj.(type) {
	case *appsv1.Deployment:
		m.deployments = append(m.deployments, o)
	case *corev1.Service:
		m.services = append(m.services, o)
	case *corev1.Secret:
		m.secrets[o.Name] = o
	case *policyv1.PodDisruptionBudget:
		m.pdbs = append(m.pdbs, o)
	case *autoscalingv2.HorizontalPodAutoscaler:
		m.hpas = append(m.hpas, o)
	case *corev1.Namespace:
		m.namespaces = append(m.namespaces, o)
	default:
		return fmt.Errorf("%s %s: no check knows this kind; add it to manifests", tm.APIVersion, tm.Kind)
	}
	return nil
}

func loadManifests(t *testing.T) *manifests {
	t.Helper()
	dir := filepath.Join(root, kubeDir)
	b, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k kustomization
	if err := yaml.UnmarshalStrict(b, &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var onDisk []string
	for _, f := range files {
		if filepath.Base(f) != "kustomization.yaml" {
			onDisk = append(onDisk, filepath.Base(f))
		}
	}
	if got := slices.Sorted(slices.Values(k.Resources)); !slices.Equal(got, onDisk) {
		t.Errorf("kustomization.yaml lists %v; the directory holds %v", got, onDisk)
	}
	m := &manifests{secrets: map[string]*corev1.Secret{}}
	bad := false
	for _, f := range k.Resources {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range documents(b) {
			if err := m.decode(doc); err != nil {
				t.Errorf("%s, document %d: %v", f, i+1, err)
				bad = true
			}
		}
	}
	if bad {
		t.FailNow()
	}
	for name, sec := range m.secrets {
		if _, ok := sec.StringData["password"]; ok || sec.Data["password"] != nil {
			t.Errorf("Secret %s: a password committed in the manifests", name)
		}
	}
	// The generated Secrets, as kustomize makes them: the literals (the
	// username), and a password from the env file, which is never committed.
	for _, g := range k.SecretGenerator {
		sec := &corev1.Secret{Type: corev1.SecretType(g.Type), StringData: map[string]string{}}
		sec.Name = g.Name
		for _, l := range g.Literals {
			key, value, _ := strings.Cut(l, "=")
			if key == "password" {
				t.Errorf("secretGenerator %s: a committed password", g.Name)
			}
			sec.StringData[key] = value
		}
		if len(g.Envs) != 1 || !g.Options.DisableNameSuffixHash {
			t.Errorf("secretGenerator %s: want the password from one env file, and the name without a hash suffix (CloudNativePG refers to it)", g.Name)
		}
		sec.StringData["password"] = "from " + strings.Join(g.Envs, ",")
		m.secrets[g.Name] = sec
	}
	if len(m.kafkas) != 1 || len(m.pgClusters) != 1 {
		t.Fatalf("want one Kafka and one PostgreSQL cluster, have %d and %d", len(m.kafkas), len(m.pgClusters))
	}
	return m
}

func TestKubernetesDecodingIsStrict(t *testing.T) {
	// The checks below are only worth something if a misspelt field fails.
	for name, doc := range map[string]string{
		"Deployment": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  replica: 2\n",
		"Service":    "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  ports:\n    - port: 80\n      targetport: 80\n",
		"KafkaTopic": "apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaTopic\nmetadata:\n  name: x\nspec:\n  partition: 3\n",
		"Cluster":    "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: x\nspec:\n  instance: 3\n",
		"unknown":    "apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: x\n",
	} {
		m := &manifests{secrets: map[string]*corev1.Secret{}}
		if err := m.decode([]byte(doc)); err == nil {
			t.Errorf("%s with a misspelt field decoded without error", name)
		}
	}
}

func TestKubernetesTopicsEqualTheTopology(t *testing.T) {
	committed, err := os.ReadFile(filepath.Join(root, TopicsPath))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, KafkaTopicsYAML()) {
		t.Errorf("%s differs from the topology; run: go generate ./deploy/checks", TopicsPath)
	}
	// Read back independently of the generator's rendering.
	m := loadManifests(t)
	want := topology.Topics()
	if len(m.topics) != len(want) {
		t.Fatalf("%d KafkaTopics, the topology has %d topics", len(m.topics), len(want))
	}
	for i, w := range want {
		got := m.topics[i]
		if got.Spec.TopicName != w.Name || got.Name != ResourceName(w.Name) {
			t.Errorf("KafkaTopic %d: %s (topicName %s), want topic %s", i, got.Name, got.Spec.TopicName, w.Name)
		}
		if got.Spec.Partitions != w.Partitions || got.Spec.Replicas != w.ReplicationFactor {
			t.Errorf("%s: %d partitions × %d replicas, topology says %d × %d", w.Name, got.Spec.Partitions, got.Spec.Replicas, w.Partitions, w.ReplicationFactor)
		}
		cfg := map[string]string{}
		for k, v := range got.Spec.Config {
			cfg[k] = fmt.Sprint(v)
		}
		if !maps.Equal(cfg, w.Configs) {
			t.Errorf("%s: config %v, topology says %v", w.Name, cfg, w.Configs)
		}
		if c := got.Labels["strimzi.io/cluster"]; c != m.kafkas[0].Name {
			t.Errorf("%s: for cluster %q, the Kafka resource is %q", w.Name, c, m.kafkas[0].Name)
		}
	}
}

func TestKubernetesKafkaCluster(t *testing.T) {
	m := loadManifests(t)
	k := m.kafkas[0]
	if k.Annotations["strimzi.io/kraft"] != "enabled" || k.Annotations["strimzi.io/node-pools"] != "enabled" {
		t.Error("Kafka: want KRaft with node pools (annotations strimzi.io/kraft and strimzi.io/node-pools)")
	}
	nodes := 0
	for _, p := range m.pools {
		if p.Labels["strimzi.io/cluster"] != k.Name {
			t.Errorf("KafkaNodePool %s: for cluster %q", p.Name, p.Labels["strimzi.io/cluster"])
		}
		if !slices.Contains(p.Spec.Roles, "broker") || !slices.Contains(p.Spec.Roles, "controller") {
			t.Errorf("KafkaNodePool %s: roles %v, want controller and broker", p.Name, p.Spec.Roles)
		}
		nodes += p.Spec.Replicas
	}
	if nodes != 3 {
		t.Errorf("%d Kafka nodes, want 3", nodes)
	}
	for _, tp := range topology.Topics() {
		if tp.ReplicationFactor > nodes {
			t.Errorf("%s: replication factor %d on %d nodes", tp.Name, tp.ReplicationFactor, nodes)
		}
	}
	if isr, _ := strconv.Atoi(fmt.Sprint(k.Spec.Kafka.Config["min.insync.replicas"])); isr < 2 || isr >= nodes {
		t.Errorf("min.insync.replicas %d: want at least 2 and below the %d nodes, so one node may be down", isr, nodes)
	}
	if k.Spec.EntityOperator.TopicOperator == nil || k.Spec.EntityOperator.UserOperator == nil {
		t.Error("Kafka: the topic and user operators manage topics.yaml and the KafkaUser")
	}
	for _, u := range m.users {
		if u.Labels["strimzi.io/cluster"] != k.Name || u.Spec.Authentication.Type != "tls" {
			t.Errorf("KafkaUser %s: want a TLS user of cluster %s", u.Name, k.Name)
		}
	}
}

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
			pw, _ := envValue(c, "DB_PASSWORD")
			if host.Value != pg.Name+"-rw" {
				t.Errorf("%s: DB_HOSTNAME=%q, want the primary %s-rw", where, host.Value, pg.Name)
			}
			if name.Value != want.db || owners[want.db] != want.role {
				t.Errorf("%s: DB_NAME=%q; %s must exist owned by %s (databases: %v)", where, name.Value, want.db, want.role, owners)
			}
			for v, e := range map[string]corev1.EnvVar{"DB_USER": user, "DB_PASSWORD": pw} {
				if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.ValueFrom.SecretKeyRef.Name != roleSecret[want.role] {
					t.Errorf("%s: %s must come from secret %s, the one role %s is made with", where, v, roleSecret[want.role], want.role)
				}
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
