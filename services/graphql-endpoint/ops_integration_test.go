//go:build integration

package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"openbank/messaging/messagingtest"
)

func httpGet(t *testing.T, url string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestOperationsPort (item 9): with OPS_PORT, /metrics, GraphiQL and
// introspection leave the public port; GraphiQL loads only the gateway's files.
func TestOperationsPort(t *testing.T) {
	ops := messagingtest.FreePort(t)
	gw := startGateway(t, "OPS_PORT="+strconv.Itoa(ops), "GRAPHQL_INTROSPECTION=false")
	opsURL := fmt.Sprintf("http://127.0.0.1:%d", ops)
	for _, p := range []string{"/", "/metrics", "/graphiql/graphiql.min.js"} {
		if code, _ := httpGet(t, gw.url(p)); code != http.StatusNotFound {
			t.Errorf("public %s: %d", p, code)
		}
		if code, _ := httpGet(t, opsURL+p); code != http.StatusOK {
			t.Errorf("ops %s: %d", p, code)
		}
	}
	_, page := httpGet(t, opsURL+"/")
	if strings.Contains(page, "https://") || strings.Contains(page, "http://") || !strings.Contains(page, "/graphiql/graphiql.min.js") {
		t.Errorf("GraphiQL's page loads files from elsewhere:\n%s", page)
	}
	if r := gw.query(t, `{ __schema { queryType { name } } }`, nil); !hasErrorCode(r.Errors, "INTROSPECTION_DISABLED") {
		t.Errorf("introspection on the public port: %+v", r.Errors)
	}
}

// TestDatabaseSettings (item 10): DB_SSLMODE reaches the connection (the
// test stack's PostgreSQL has no TLS, so require must fail, naming it), and
// a role cannot connect to another role's database (CONNECT revoked from PUBLIC).
func TestDatabaseSettings(t *testing.T) {
	svc := messagingtest.Start(t, gatewayBinary(t), "HTTP_PORT="+strconv.Itoa(messagingtest.FreePort(t)), "DB_SSLMODE=require")
	deadline := time.Now().Add(60 * time.Second)
	for svc.Running() && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if svc.Running() || !strings.Contains(strings.ToLower(svc.Output()), "tls") {
		t.Errorf("with DB_SSLMODE=require against a server without TLS: running %v, said:\n%s", svc.Running(), svc.Output())
	}
	bad := messagingtest.Start(t, gatewayBinary(t), "HTTP_PORT="+strconv.Itoa(messagingtest.FreePort(t)), "DB_SSLMODE=sometimes")
	for bad.Running() && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(bad.Output(), "DB_SSLMODE") {
		t.Errorf("an invalid DB_SSLMODE: %s", bad.Output())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := fmt.Sprintf("postgres://graphql_endpoint:%s@%s:%s/balancedb?sslmode=disable",
		os.Getenv("DB_PASSWORD"), os.Getenv("DB_HOSTNAME"), os.Getenv("DB_PORT"))
	if c, err := pgx.Connect(ctx, url); err == nil {
		c.Close(ctx)
		t.Error("graphql_endpoint connected to balancedb")
	} else if !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("graphql_endpoint to balancedb: %v, want permission denied", err)
	}
}
