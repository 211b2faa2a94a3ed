package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	coderws "github.com/coder/websocket"

	"openbank/kit/gqlws"
	"openbank/kit/service"
	"openbank/services/graphql-endpoint/internal/ports/httpapi"
)

func TestCORSAndOrigins(t *testing.T) {
	srv, _ := server(t, defaults(), "http://localhost:8181")
	req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/graphql", nil)
	req.Header.Set("Origin", "http://localhost:8181")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "http://localhost:8181" {
		t.Errorf("allowed origin: %q", got)
	}
	req.Header.Set("Origin", "http://evil.example")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("other origin allowed: %q", got)
	}
	ws := "ws" + strings.TrimPrefix(srv.URL, "http") + "/graphql-ws"
	for origin, ok := range map[string]bool{"http://localhost:8181": true, "http://evil.example": false} {
		c, _, err := coderws.Dial(context.Background(), ws, &coderws.DialOptions{
			Subprotocols: []string{gqlws.TransportWS}, HTTPHeader: http.Header{"Origin": {origin}}})
		if (err == nil) != ok {
			t.Errorf("WebSocket from %s: err %v", origin, err)
		}
		if c != nil {
			_ = c.CloseNow()
		}
	}
}

func TestGraphiQLAndHealth(t *testing.T) {
	srv, _ := server(t, defaults())
	for path, want := range map[string]string{"/": "graphiql", "/healthz": "ok", "/readyz": "ready", "/metrics": "graphql_events_fanned_out_total",
		"/graphiql/graphiql.min.js": "graphiql", "/graphiql/react.production.min.js": "react"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(strings.ToLower(string(b)), want) {
			t.Errorf("%s: %d, lacks %q", path, resp.StatusCode, want)
		}
	}
}

// TestOpsPort: with an operations port, the public port serves neither
// /metrics nor GraphiQL nor introspection; the operations port does.
func TestOpsPort(t *testing.T) {
	opsRoutes := service.NewOps(service.Config{OpsPort: 1})
	schema, _ := schemaOn(opsRoutes)
	cfg := httpapi.Config{Limits: defaults(), CORSOrigins: []string{"*"}, Log: slog.New(slog.DiscardHandler)}
	httpapi.Routes(opsRoutes.Mux, opsRoutes.Private, schema, cfg)
	public := httptest.NewServer(opsRoutes)
	defer public.Close()
	ops := httptest.NewServer(opsRoutes.Private)
	defer ops.Close()
	get := func(url string) int {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, p := range []string{"/", "/metrics", "/graphiql/graphiql.min.js"} {
		if c := get(public.URL + p); c != http.StatusNotFound {
			t.Errorf("public %s: %d", p, c)
		}
		if c := get(ops.URL + p); c != http.StatusOK {
			t.Errorf("ops %s: %d", p, c)
		}
	}
	introspect := `{"query":"{ __schema { queryType { name } } }"}`
	if _, r := post(t, public.URL, introspect); !hasError(r, "introspection") {
		t.Errorf("introspection on the public port: %+v %s", r.Errors, r.Data)
	}
	if _, r := post(t, ops.URL, introspect); len(r.Errors) > 0 {
		t.Errorf("introspection on the ops port: %+v", r.Errors)
	}
}

func TestStaticFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("<html>bank</html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "app.js"), []byte("console.log(1)"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.Static(dir))
	defer srv.Close()
	for path, want := range map[string]struct {
		status int
		body   string
	}{
		"/":             {200, "<html>bank</html>"},
		"/app.js":       {200, "console.log(1)"},
		"/transactions": {200, "<html>bank</html>"}, // a route of the single-page app
		"/missing.js":   {404, ""},
	} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want.status || want.body != "" && string(b) != want.body {
			t.Errorf("%s: %d %q", path, resp.StatusCode, b)
		}
	}
}

func TestGETTransport(t *testing.T) {
	srv, _ := server(t, defaults())
	q := url.QueryEscape(`{ transactions_by_iban(iban: "x", max_items: 0) { id } }`)
	resp, err := http.Get(srv.URL + "/graphql?query=" + q)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r response
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	if !hasError(r, "max_items: must be from 1 to 1000") {
		t.Errorf("GET query: %+v", r.Errors)
	}
	// Mutations are not allowed over GET.
	m := url.QueryEscape(`mutation { login(username: "a", password: "b") { reason } }`)
	resp2, err := http.Get(srv.URL + "/graphql?query=" + m)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode == http.StatusOK {
		t.Error("a mutation over GET was accepted")
	}
}
