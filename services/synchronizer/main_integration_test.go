//go:build integration

package main

import (
	"os/exec"
	"strings"
	"testing"

	"openbank/messaging/messagingtest"
)

// The stack ran the synchronizer once already: the binary must find the
// cluster in shape and change nothing.
func TestBinaryFindsStackInShape(t *testing.T) {
	messagingtest.Kafka(t)
	bin := messagingtest.Build(t, ".")
	out, err := exec.Command(bin).CombinedOutput()
	if err != nil {
		t.Fatalf("synchronizer: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "created 0, changed 0, unchanged 14, mismatched 0") {
		t.Fatalf("second run changed something:\n%s", out)
	}
	out, err = exec.Command(bin, "--dry-run").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "created 0, changed 0") {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
}

func TestBinaryRefusesBadConfiguration(t *testing.T) {
	bin := messagingtest.Build(t, ".")
	cmd := exec.Command(bin, "--wait", "1s")
	cmd.Env = []string{"KAFKA_BROKERS=no-port", "SCHEMA_REGISTRY_URL=ftp://x"}
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("accepted bad configuration:\n%s", out)
	}
	for _, name := range []string{"KAFKA_BROKERS", "SCHEMA_REGISTRY_URL"} {
		if !strings.Contains(string(out), name) {
			t.Errorf("message does not name %s:\n%s", name, out)
		}
	}
}

func TestBinaryGivesUpOnMissingBroker(t *testing.T) {
	bin := messagingtest.Build(t, ".")
	cmd := exec.Command(bin, "--wait", "2s")
	cmd.Env = []string{"KAFKA_BROKERS=127.0.0.1:1", "SCHEMA_REGISTRY_URL=http://127.0.0.1:1"}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "KAFKA_BROKERS") {
		t.Fatalf("want a failure naming KAFKA_BROKERS, got %v:\n%s", err, out)
	}
	t.Logf("%s", out)
}
