package checks

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// Deployment hardening (issue 31 items 3 and 6): Pod Security "restricted",
// NetworkPolicies, compose's privileges, the page's headers, and the
// gateway trusting X-Forwarded-For from its nginx only.

// restrictedProblems says how a container, with its pod's context, falls
// short of the Pod Security Standard "restricted".
func restrictedProblems(pod *corev1.PodSecurityContext, c *corev1.SecurityContext) []string {
	if pod == nil {
		pod = &corev1.PodSecurityContext{}
	}
	if c == nil {
		c = &corev1.SecurityContext{}
	}
	var p []string
	nonRoot := c.RunAsNonRoot != nil && *c.RunAsNonRoot || c.RunAsNonRoot == nil && pod.RunAsNonRoot != nil && *pod.RunAsNonRoot
	if !nonRoot {
		p = append(p, "runAsNonRoot is not true")
	}
	if uid := c.RunAsUser; uid != nil && *uid == 0 || uid == nil && pod.RunAsUser != nil && *pod.RunAsUser == 0 {
		p = append(p, "runs as uid 0")
	}
	seccomp := c.SeccompProfile
	if seccomp == nil {
		seccomp = pod.SeccompProfile
	}
	if seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault && seccomp.Type != corev1.SeccompProfileTypeLocalhost {
		p = append(p, "no RuntimeDefault or Localhost seccomp profile")
	}
	if c.AllowPrivilegeEscalation == nil || *c.AllowPrivilegeEscalation {
		p = append(p, "allowPrivilegeEscalation is not false")
	}
	if c.Privileged != nil && *c.Privileged {
		p = append(p, "privileged")
	}
	if c.Capabilities == nil || !slices.Contains(c.Capabilities.Drop, "ALL") {
		p = append(p, "capabilities do not drop ALL")
	} else if slices.ContainsFunc(c.Capabilities.Add, func(a corev1.Capability) bool { return a != "NET_BIND_SERVICE" }) {
		p = append(p, fmt.Sprintf("adds capabilities %v", c.Capabilities.Add))
	}
	return p
}

func TestKubernetesPodSecurityRestricted(t *testing.T) {
	m := loadManifests(t)
	if len(m.namespaces) != 1 {
		t.Fatalf("%d namespaces", len(m.namespaces))
	}
	for _, mode := range []string{"enforce", "audit", "warn"} {
		if got := m.namespaces[0].Labels["pod-security.kubernetes.io/"+mode]; got != "restricted" {
			t.Errorf("namespace label pod-security.kubernetes.io/%s = %q, want restricted", mode, got)
		}
	}
	for _, d := range m.deployments {
		spec := d.Spec.Template.Spec
		if spec.HostNetwork || spec.HostPID || spec.HostIPC {
			t.Errorf("%s: shares the host's namespaces", d.Name)
		}
		for _, v := range spec.Volumes {
			if v.HostPath != nil {
				t.Errorf("%s: hostPath volume %s", d.Name, v.Name)
			}
		}
		for _, c := range append(slices.Clone(spec.InitContainers), spec.Containers...) {
			for _, p := range restrictedProblems(spec.SecurityContext, c.SecurityContext) {
				t.Errorf("%s/%s: %s", d.Name, c.Name, p)
			}
		}
	}
	for _, pool := range m.pools {
		for _, p := range restrictedProblems(pool.Spec.Template.Pod.SecurityContext, pool.Spec.Template.KafkaContainer.SecurityContext) {
			t.Errorf("KafkaNodePool %s: %s", pool.Name, p)
		}
	}
	for _, k := range m.kafkas {
		eo := k.Spec.EntityOperator.Template
		for name, c := range map[string]containerTemplate{"topic operator": eo.TopicOperatorContainer, "user operator": eo.UserOperatorContainer} {
			for _, p := range restrictedProblems(eo.Pod.SecurityContext, c.SecurityContext) {
				t.Errorf("Kafka %s %s: %s", k.Name, name, p)
			}
		}
	}
}

// TestKubernetesReadOnlyRoots: the bank's own containers, the registry and
// nginx write nowhere but their volumes.
func TestKubernetesReadOnlyRoots(t *testing.T) {
	for _, d := range loadManifests(t).deployments {
		for _, c := range append(slices.Clone(d.Spec.Template.Spec.InitContainers), d.Spec.Template.Spec.Containers...) {
			if s := c.SecurityContext; s == nil || s.ReadOnlyRootFilesystem == nil || !*s.ReadOnlyRootFilesystem {
				t.Errorf("%s/%s: root file system not read-only", d.Name, c.Name)
			}
		}
	}
}

// selectedBy returns the policies whose pod selector matches labels.
func selectedBy(policies []*networkingv1.NetworkPolicy, labels map[string]string) []*networkingv1.NetworkPolicy {
	var out []*networkingv1.NetworkPolicy
	for _, p := range policies {
		match := true
		for k, v := range p.Spec.PodSelector.MatchLabels {
			if labels[k] != v {
				match = false
			}
		}
		if match && len(p.Spec.PodSelector.MatchExpressions) == 0 {
			out = append(out, p)
		}
	}
	return out
}

func TestKubernetesNetworkPolicies(t *testing.T) {
	m := loadManifests(t)
	var deny *networkingv1.NetworkPolicy
	for _, p := range m.policies {
		if len(p.Spec.PodSelector.MatchLabels) == 0 && len(p.Spec.PodSelector.MatchExpressions) == 0 {
			deny = p
		}
	}
	if deny == nil || !slices.Contains(deny.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) || len(deny.Spec.Ingress) != 0 {
		t.Fatalf("no policy denies all ingress by default: %+v", deny)
	}
	for _, d := range m.deployments {
		var ingress, egress bool
		for _, p := range selectedBy(m.policies, d.Spec.Template.Labels) {
			if p == deny {
				continue
			}
			ingress = ingress || slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
			egress = egress || slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		}
		if !ingress || !egress {
			t.Errorf("%s: no policy of its own for ingress (%v) and egress (%v)", d.Name, ingress, egress)
		}
	}
	// Only nginx reaches the gateway: the premise of its TRUSTED_PROXIES.
	for _, p := range selectedBy(m.policies, map[string]string{"app.kubernetes.io/name": "graphql-endpoint"}) {
		for _, rule := range p.Spec.Ingress {
			if len(rule.From) != 1 || rule.From[0].PodSelector == nil ||
				rule.From[0].PodSelector.MatchLabels["app.kubernetes.io/name"] != "frontend" || rule.From[0].NamespaceSelector != nil {
				t.Errorf("policy %s admits to the gateway more than the frontend's pods: %+v", p.Name, rule.From)
			}
		}
	}
	for _, k := range m.kafkas {
		for _, l := range k.Spec.Kafka.Listeners {
			if len(l.NetworkPolicyPeers) == 0 {
				t.Errorf("Kafka listener %s admits every pod (no networkPolicyPeers)", l.Name)
			}
		}
	}
}

func TestKubernetesGatewayTrustsItsProxy(t *testing.T) {
	for _, d := range loadManifests(t).deployments {
		if d.Name != "graphql-endpoint" {
			continue
		}
		if v, ok := envValue(d.Spec.Template.Spec.Containers[0], "TRUSTED_PROXIES"); !ok || v.Value == "" {
			t.Error("the gateway has no TRUSTED_PROXIES: behind nginx every user is one client")
		}
		return
	}
	t.Fatal("no graphql-endpoint Deployment")
}

// composeOwn are the containers built from this repository.
var composeOwn = []string{"synchronizer", "command-handler-migrate", "command-handler", "graphql-endpoint",
	"heartbeat", "command-generator", "frontend"}

func TestComposeHardening(t *testing.T) {
	forEachVariant(t, func(t *testing.T, p *types.Project) {
		for name, s := range p.Services {
			if !slices.Contains(s.SecurityOpt, "no-new-privileges:true") {
				t.Errorf("%s: no security_opt no-new-privileges:true", name)
			}
			// The database's entrypoint needs capabilities to hand its files to postgres.
			if name != "db" && !slices.Contains(s.CapDrop, "ALL") {
				t.Errorf("%s: cap_drop is not [ALL]", name)
			}
			if len(s.CapAdd) > 0 || s.Privileged {
				t.Errorf("%s: adds privileges %v %v", name, s.CapAdd, s.Privileged)
			}
		}
		for _, name := range composeOwn {
			if !p.Services[name].ReadOnly {
				t.Errorf("%s: root file system not read-only", name)
			}
		}
		if u := p.Services["frontend"].User; u == "" || strings.HasPrefix(u, "0") || strings.HasPrefix(u, "root") {
			t.Errorf("frontend: nginx runs as %q, want an unprivileged user", u)
		}
	})
}

// TestComposeGatewayTrustsTheFrontend: the gateway takes X-Forwarded-For
// from the page's nginx, at its fixed address, and from nobody else.
func TestComposeGatewayTrustsTheFrontend(t *testing.T) {
	forEachVariant(t, func(t *testing.T, p *types.Project) {
		net := p.Services["frontend"].Networks["default"]
		if net == nil || net.Ipv4Address == "" {
			t.Fatal("frontend has no fixed address on the default network")
		}
		if v, _ := env(p.Services["graphql-endpoint"], "TRUSTED_PROXIES"); v != net.Ipv4Address {
			t.Errorf("gateway TRUSTED_PROXIES=%q, the frontend is at %s", v, net.Ipv4Address)
		}
	})
}

// TestPageSecurityHeaders: nginx sends the page's security headers on every
// answer. nginx drops the server's add_header lines in a location that has
// add_header of its own, so each such location must repeat them all.
func TestPageSecurityHeaders(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "frontend/nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]*regexp.Regexp{
		"Content-Security-Policy": regexp.MustCompile(`default-src 'self'.*script-src 'self'.*object-src 'none'.*frame-ancestors 'none'`),
		"X-Frame-Options":         regexp.MustCompile(`^DENY$`),
		"Referrer-Policy":         regexp.MustCompile(`^(no-referrer|same-origin|strict-origin(-when-cross-origin)?)$`),
		"X-Content-Type-Options":  regexp.MustCompile(`^nosniff$`),
	}
	header := regexp.MustCompile(`^\s*add_header\s+(\S+)\s+"([^"]*)"\s*(always)?\s*;`)
	blocks := map[string]map[string]string{} // server or location → its add_header lines
	current := "server"
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "location ") {
			current = line
		} else if line == "}" && current != "server" {
			current = "server"
		}
		if h := header.FindStringSubmatch(line); h != nil {
			if blocks[current] == nil {
				blocks[current] = map[string]string{}
			}
			if _, security := want[h[1]]; security && h[3] != "always" {
				t.Errorf("%s: add_header %s without always (not sent on errors)", current, h[1])
			}
			blocks[current][h[1]] = h[2]
		}
	}
	if blocks["server"] == nil {
		t.Fatal("the server block sets no headers")
	}
	for block, headers := range blocks {
		for name, re := range want {
			if v, ok := headers[name]; !ok || !re.MatchString(v) {
				t.Errorf("%s: %s = %q", block, name, v)
			}
		}
	}
	if !strings.Contains(string(b), "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;") {
		t.Error("nginx does not tell the gateway whom it forwards for (X-Forwarded-For)")
	}
}
