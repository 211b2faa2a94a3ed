package checks

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestComposePrincipals: with TLS each service is the principal its
// certificate names, the brokers authorize (only they are super users), and
// kafka-acls grants exactly DeployACLs() before anything acts on Kafka.
func TestComposePrincipals(t *testing.T) {
	committed, err := os.ReadFile(filepath.Join(root, ComposeACLsPath))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, ComposeACLsScript()) {
		t.Errorf("%s differs from the topology; run: go generate ./deploy/checks", ComposeACLsPath)
	}
	script, err := os.ReadFile(filepath.Join(root, "deploy/certs/make-certs.sh"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^PRINCIPALS=\(([^)]*)\)`).FindSubmatch(script)
	if m == nil || !slices.Equal(strings.Fields(string(m[1])), DeployPrincipals()) {
		t.Errorf("make-certs.sh: PRINCIPALS=(%s), want a certificate for each of %v", m, DeployPrincipals())
	}

	p := loadCompose(t, composeVariants["three brokers with TLS"])
	brokers := []string{}
	for name := range p.Services {
		if regexp.MustCompile(`^kafka-[0-9]+$`).MatchString(name) {
			brokers = append(brokers, "User:"+name)
		}
	}
	slices.Sort(brokers)
	for _, b := range brokers {
		s := p.Services[strings.TrimPrefix(b, "User:")]
		want := map[string]string{
			"KAFKA_AUTHORIZER_CLASS_NAME":          "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
			"KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND": "false",
			"KAFKA_SSL_CLIENT_AUTH":                "required",
		}
		for k, v := range want {
			if got, _ := env(s, k); got != v {
				t.Errorf("%s: %s=%q, want %q", s.Name, k, got, v)
			}
		}
		supers, _ := env(s, "KAFKA_SUPER_USERS")
		if got := strings.Split(supers, ";"); !slices.Equal(slices.Sorted(slices.Values(got)), brokers) {
			t.Errorf("%s: super users %v, want the brokers only %v", s.Name, got, brokers)
		}
		if rule, _ := env(s, "KAFKA_SSL_PRINCIPAL_MAPPING_RULES"); !strings.Contains(rule, "CN=([^,]+)") {
			t.Errorf("%s: KAFKA_SSL_PRINCIPAL_MAPPING_RULES=%q: want the certificate's CN as the principal", s.Name, rule)
		}
	}
	acls, ok := p.Services["kafka-acls"]
	if !ok {
		t.Fatal("no kafka-acls one-shot grants the ACLs")
	}
	mounted := map[string]string{}
	for _, v := range acls.Volumes {
		rel, _ := filepath.Rel(p.WorkingDir, v.Source)
		mounted[filepath.ToSlash(rel)] = v.Target
	}
	if mounted[ComposeACLsPath] == "" || mounted["deploy/certs/generated/kafka-1"] != "/etc/kafka/secrets" {
		t.Errorf("kafka-acls mounts %v: want %s and a broker's certificate (a super user)", mounted, ComposeACLsPath)
	}
	if !slices.Contains(acls.Entrypoint, mounted[ComposeACLsPath]) {
		t.Errorf("kafka-acls runs %v, not the mounted %s", acls.Entrypoint, ComposeACLsPath)
	}
}
