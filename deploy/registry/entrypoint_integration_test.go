//go:build integration

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOnlyTheSynchronizerRegisters builds the image's two programs as
// deploy/registry/Dockerfile does, starts registry-entrypoint against the
// stack's PostgreSQL (DB_PORT, DB_PASSWORD: its schemaregistry role) and
// checks the config it wrote: no credentials 401, a service reads but may not
// register (403), the synchronizer registers.
func TestOnlyTheSynchronizerRegisters(t *testing.T) {
	dbPort, dbPassword := os.Getenv("DB_PORT"), os.Getenv("DB_PASSWORD")
	if dbPort == "" || dbPassword == "" {
		t.Fatal("DB_PORT and DB_PASSWORD unset: run through deploy/test-stack.sh")
	}
	dir := t.TempDir()
	entry, registry := filepath.Join(dir, "registry-entrypoint"), filepath.Join(dir, "schema-registry")
	build(t, ".", "build", "-o", entry, ".")
	build(t, "../tools", "build", "-o", registry, "github.com/axonops/axonops-schema-registry/cmd/schema-registry")

	port := freePort(t)
	pw := map[string]string{"synchronizer": random(t), "command-handler": random(t)}
	cmd := exec.Command(entry)
	cmd.Env = []string{
		"PATH=/usr/bin:/bin", "HOME=" + dir,
		"REGISTRY_USERS=synchronizer,command-handler", "REGISTRY_SUPER_ADMIN=synchronizer",
		"REGISTRY_PASSWORD_SYNCHRONIZER=" + pw["synchronizer"], "REGISTRY_PASSWORD_COMMAND_HANDLER=" + pw["command-handler"],
		"REGISTRY_CONFIG=" + filepath.Join(dir, "registry.yaml"), "REGISTRY_BIN=" + registry,
		"SCHEMA_REGISTRY_HOST=127.0.0.1", "SCHEMA_REGISTRY_PORT=" + port,
		"SCHEMA_REGISTRY_PG_HOST=127.0.0.1", "SCHEMA_REGISTRY_PG_PORT=" + dbPort, "SCHEMA_REGISTRY_PG_SSLMODE=disable",
		"SCHEMA_REGISTRY_PG_USER=schemaregistry", "SCHEMA_REGISTRY_PG_DATABASE=schemaregistry", "SCHEMA_REGISTRY_PG_PASSWORD=" + dbPassword,
	}
	logFile, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(logFile.Name())
			t.Logf("registry log:\n%s", b)
		}
		logFile.Close()
	})
	base := "http://127.0.0.1:" + port
	waitReady(t, base+"/health/ready")

	subject := "registry-entrypoint-test-" + random(t)[:8] + "-value"
	schema := `{"schema": "{\"type\": \"string\"}"}`
	t.Cleanup(func() {
		call(t, "synchronizer", pw["synchronizer"], http.MethodDelete, base+"/subjects/"+subject, "")
		call(t, "synchronizer", pw["synchronizer"], http.MethodDelete, base+"/subjects/"+subject+"?permanent=true", "")
	})
	for _, c := range []struct {
		what, user, password, method, path, body string
		want                                     int
	}{
		{"no credentials", "", "", http.MethodGet, "/subjects", "", http.StatusUnauthorized},
		{"a wrong password", "command-handler", "wrong", http.MethodGet, "/subjects", "", http.StatusUnauthorized},
		{"a service reads", "command-handler", pw["command-handler"], http.MethodGet, "/subjects", "", http.StatusOK},
		{"a service registers", "command-handler", pw["command-handler"], http.MethodPost, "/subjects/" + subject + "/versions", schema, http.StatusForbidden},
		{"the synchronizer registers", "synchronizer", pw["synchronizer"], http.MethodPost, "/subjects/" + subject + "/versions", schema, http.StatusOK},
		{"a service reads what it registered", "command-handler", pw["command-handler"], http.MethodGet, "/subjects/" + subject + "/versions/latest", "", http.StatusOK},
	} {
		if got := call(t, c.user, c.password, c.method, base+c.path, c.body); got != c.want {
			t.Errorf("%s: %s %s = %d, want %d", c.what, c.method, c.path, got, c.want)
		}
	}
}

func build(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}

func random(t *testing.T) string {
	t.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func waitReady(t *testing.T, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s did not answer 200 within 60s", url)
}

// call makes one request, with basic auth unless user is empty, and returns its status.
func call(t *testing.T, user, password, method, url, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}
