package checks

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"openbank/topology"
)

// TestKubernetesUsersEqualTheTopology: a KafkaUser per principal with the
// ACLs of DeployACLs() and nothing else, `simple` authorization on the
// cluster, and every container on Kafka with its own principal's certificate.
func TestKubernetesUsersEqualTheTopology(t *testing.T) {
	committed, err := os.ReadFile(filepath.Join(root, UsersPath))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, KafkaUsersYAML()) {
		t.Errorf("%s differs from the topology; run: go generate ./deploy/checks", UsersPath)
	}
	m := loadManifests(t)
	if a := m.kafkas[0].Spec.Kafka.Authorization; a == nil || a.Type != "simple" {
		t.Error("Kafka: want authorization type simple, or any authenticated client may do anything")
	}
	users := map[string]*kafkaUser{}
	for _, u := range m.users {
		users[u.Name] = u
	}
	for _, p := range DeployPrincipals() {
		u, ok := users[p]
		if !ok {
			t.Errorf("no KafkaUser %s", p)
			continue
		}
		if u.Spec.Authorization.Type != "simple" {
			t.Errorf("KafkaUser %s: authorization %q, want simple", p, u.Spec.Authorization.Type)
		}
		// Read back independently of the generator's rendering.
		var want []topology.ACL
		for _, a := range DeployACLs() {
			if a.Principal == p {
				want = append(want, a)
			}
		}
		if len(u.Spec.Authorization.ACLs) != len(want) {
			t.Errorf("KafkaUser %s: %d ACLs, the topology gives %d", p, len(u.Spec.Authorization.ACLs), len(want))
			continue
		}
		for i, got := range u.Spec.Authorization.ACLs {
			w := want[i]
			pattern := map[bool]string{false: "literal", true: "prefix"}[w.Prefixed]
			var ops []string
			for _, o := range w.Operations {
				ops = append(ops, string(o))
			}
			if got.Resource.Type != w.Kind || got.Resource.Name != w.Name || got.Resource.PatternType != pattern || !slices.Equal(got.Operations, ops) {
				t.Errorf("KafkaUser %s ACL %d: %+v, want %+v", p, i, got, w)
			}
		}
		delete(users, p)
	}
	for name := range users {
		t.Errorf("KafkaUser %s is no principal of the topology", name)
	}
	// Each container that reaches Kafka presents its own principal's certificate.
	for _, d := range m.deployments {
		pod := d.Spec.Template.Spec
		for _, c := range append(slices.Clone(pod.InitContainers), pod.Containers...) {
			e, ok := envValue(c, "SSL_CERTIFICATE_LOCATION")
			if !ok {
				continue
			}
			want := program(c)
			if secret, _ := mountedSecret(pod, c, e.Value); secret != want {
				t.Errorf("%s/%s: its certificate is from secret %q, want its own principal's %q", d.Name, c.Name, secret, want)
			}
		}
	}
}
