package checks

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
	policies    []*networkingv1.NetworkPolicy
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
	case *networkingv1.NetworkPolicy:
		m.policies = append(m.policies, o)
	default:
		return fmt.Errorf("%s %s: no check knows this kind; add it to manifests", tm.APIVersion, tm.Kind)
	}
	return nil
}

// generatedKeys are the keys make-secrets.sh writes to a generated Secret's
// env file, when they are not just its password: registry-users has a
// password per principal.
var generatedKeys = map[string][]string{
	"bank-secrets":   {"token-key", "token-seal-key", "bank-token"},
	"registry-users": topology.Principals(),
}

func TestMakeSecretsWritesTheGeneratedKeys(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, kubeDir, "make-secrets.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for name, keys := range generatedKeys {
		for _, key := range keys {
			if !strings.Contains(string(b), "printf '"+key+"=") {
				t.Errorf("make-secrets.sh writes no %s for Secret %s", key, name)
			}
		}
	}
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
		keys := generatedKeys[g.Name]
		if keys == nil {
			keys = []string{"password"}
		}
		for _, key := range keys {
			sec.StringData[key] = "from " + strings.Join(g.Envs, ",")
		}
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
			if f, ok := v.(float64); ok { // YAML numbers decode as float64: 604800000, not 6.048e+08
				v = strconv.FormatFloat(f, 'f', -1, 64)
			}
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
