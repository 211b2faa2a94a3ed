package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"openbank/kit/gqlws"
	"openbank/kit/service"
	"openbank/services/graphql-endpoint/internal/app/fanout"
	"openbank/services/graphql-endpoint/internal/app/gateway"
	"openbank/services/graphql-endpoint/internal/domain/transaction"
	"openbank/services/graphql-endpoint/internal/metrics"
	"openbank/services/graphql-endpoint/internal/ports/graph"
	"openbank/services/graphql-endpoint/internal/ports/graph/generated"
	"openbank/services/graphql-endpoint/internal/ports/graph/model"
	"openbank/services/graphql-endpoint/internal/ports/httpapi"
)

// server runs the real schema in-process. Without a database only what needs
// none works: validation, limits, and streams (fed through the hub).
func server(t *testing.T, limits httpapi.Limits, origins ...string) (*httptest.Server, *fanout.Hub[*model.Transaction]) {
	t.Helper()
	if len(origins) == 0 {
		origins = []string{"*"}
	}
	ops := service.NewOps(service.Config{})
	schema, hub := schemaOn(ops)
	httpapi.Routes(ops.Mux, ops.Private, schema, httpapi.Config{
		Limits: limits, CORSOrigins: origins, Log: slog.New(slog.DiscardHandler), Introspection: true,
	})
	ops.Wrap(httpapi.CORS(origins).Handler)
	ops.SetReady(true)
	srv := httptest.NewServer(ops)
	t.Cleanup(srv.Close)
	return srv, hub
}

// schemaOn is the real schema without a database, its metrics on ops' registry.
func schemaOn(ops *service.Ops) (graphql.ExecutableSchema, *fanout.Hub[*model.Transaction]) {
	m := metrics.New(ops.Metrics)
	hub := graph.NewHub(m)
	gw := gateway.New(nil, nil, hub, gateway.Options{Metrics: m}, slog.New(slog.DiscardHandler))
	return generated.NewExecutableSchema(graph.NewSchema(&graph.Resolver{Commands: gw, Hub: hub, Metrics: m})), hub
}

func defaults() httpapi.Limits {
	return httpapi.Limits{MaxTokens: 2000, MaxFields: 300, MaxDepth: 10, MaxComplexity: 10_000, MaxRequestBytes: 64 << 10,
		MaxSubscriptionsPerSocket: 20, IdleTimeout: time.Minute, PingInterval: 20 * time.Second}
}

type response struct {
	Data   json.RawMessage      `json:"data"`
	Errors []gqlws.GraphQLError `json:"errors"`
}

func post(t *testing.T, url, body string) (int, response) {
	t.Helper()
	resp, err := http.Post(url+"/graphql", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r response
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &r)
	return resp.StatusCode, r
}

func hasError(r response, part string) bool {
	for _, e := range r.Errors {
		if strings.Contains(e.Message, part) {
			return true
		}
	}
	return false
}

func TestDepthLimit(t *testing.T) {
	l := defaults()
	l.MaxDepth = 1
	srv, _ := server(t, l)
	_, r := post(t, srv.URL, `{"query":"{ all_last_transactions { id } }"}`)
	if !hasError(r, "nested too deeply") {
		t.Errorf("depth 2 with limit 1: %+v", r.Errors)
	}
	_, r = post(t, srv.URL, `{"query":"query { ...F } fragment F on Query { all_last_transactions { id } }"}`)
	if !hasError(r, "nested too deeply") {
		t.Errorf("through a fragment: %+v", r.Errors)
	}
	// Introspection is not counted (GraphiQL needs it).
	_, r = post(t, srv.URL, `{"query":"{ __schema { types { name fields { name type { name ofType { name } } } } } }"}`)
	if len(r.Errors) > 0 {
		t.Errorf("introspection: %+v", r.Errors)
	}
}

func TestComplexityLimit(t *testing.T) {
	l := defaults()
	l.MaxComplexity = 10
	srv, _ := server(t, l)
	q := `{"query":"{ a: transaction_by_id(id: 1) { id iban descr } b: transaction_by_id(id: 2) { id iban descr } c: transaction_by_id(id: 3) { id iban descr } }"}`
	status, r := post(t, srv.URL, q)
	if !hasError(r, "complexity") || len(r.Data) > 0 && string(r.Data) != "null" {
		t.Errorf("status %d, errors %+v", status, r.Errors)
	}
}

func TestRequestBodyLimit(t *testing.T) {
	l := defaults()
	l.MaxRequestBytes = 1024
	srv, _ := server(t, l)
	big := `{"query":"{ all_last_transactions { id } }","variables":{"pad":"` + strings.Repeat("x", 4096) + `"}}`
	status, r := post(t, srv.URL, big)
	if status == http.StatusOK && len(r.Errors) == 0 {
		t.Errorf("a 4 KiB body passed a 1 KiB limit: %d %s", status, r.Data)
	}
}

func TestArgumentValidationOverHTTP(t *testing.T) {
	srv, _ := server(t, defaults())
	_, r := post(t, srv.URL, `{"query":"mutation { money_transfer(uuid: \"x\", token: \"t\", amount: -1, from: \"\", to: \"b\", descr: \"d\") { success } }"}`)
	for _, want := range []string{"uuid:", "amount:", "from:"} {
		if !hasError(r, want) {
			t.Errorf("no error for %s: %+v", want, r.Errors)
		}
	}
	_, r = post(t, srv.URL, `{"query":"{ transactions_by_iban(iban: \"x\", max_items: 0) { id } }"}`)
	if !hasError(r, "max_items: must be from 1 to 1000") {
		t.Errorf("max_items 0: %+v", r.Errors)
	}
	_, r = post(t, srv.URL, `{"query":"mutation { login(username: \"\", password: \"\") { reason } }"}`)
	if !hasError(r, "username: must not be empty") || !hasError(r, "password: must not be empty") {
		t.Errorf("empty login: %+v", r.Errors)
	}
}

func dial(t *testing.T, srv *httptest.Server, path, protocol string) *gqlws.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := gqlws.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+path, protocol)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const stream = `subscription($iban: String) { stream_transactions(iban: $iban) { id iban new_balance changed_by direction } }`

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStreamOverBothProtocols(t *testing.T) {
	srv, hub := server(t, defaults())
	for i, p := range []struct{ protocol, path string }{
		{gqlws.TransportWS, "/graphql-ws"}, {gqlws.LegacyWS, "/graphql-ws"}, {gqlws.TransportWS, "/graphql"}, {gqlws.LegacyWS, "/graphql"},
	} {
		id := int64(10 + 2*i) // row ids are streamed once: a new one each round
		c := dial(t, srv, p.path, p.protocol)
		_, events, err := c.Subscribe(context.Background(), stream, map[string]any{"iban": "NL66OPEN0000000000"}, 8)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "subscriber", func() bool { return hub.Len() == 1 })
		hub.Publish([]transaction.Transaction{
			{ID: id, IBAN: "NL66OPEN0000000000", NewBalance: 123456, ChangedBy: -2000},
			{ID: id + 1, IBAN: "NL24OPEN0000000001", NewBalance: 1, ChangedBy: 1},
		})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		e, err := gqlws.First(ctx, events)
		cancel()
		if err != nil {
			t.Fatalf("%s%s: %v", p.protocol, p.path, err)
		}
		want := fmt.Sprintf(`{"stream_transactions":{"id":%d,"iban":"NL66OPEN0000000000","new_balance":"€1.234,56","changed_by":"€20,00","direction":"DEBIT"}}`, id)
		if string(e.Data) != want {
			t.Errorf("%s%s: %s", p.protocol, p.path, e.Data)
		}
		_ = c.Close()
		waitFor(t, "unsubscribe", func() bool { return hub.Len() == 0 })
	}
}

func TestSubscriptionsPerConnection(t *testing.T) {
	l := defaults()
	l.MaxSubscriptionsPerSocket = 2
	srv, hub := server(t, l)
	c := dial(t, srv, "/graphql-ws", gqlws.TransportWS)
	defer c.Close()
	ctx := context.Background()
	first, _, _ := c.Subscribe(ctx, stream, nil, 4)
	_, _, _ = c.Subscribe(ctx, stream, nil, 4)
	waitFor(t, "two subscribers", func() bool { return hub.Len() == 2 })
	_, third, _ := c.Subscribe(ctx, stream, nil, 4)
	e, err := gqlws.First(ctx, third)
	if err != nil || len(e.Errors) == 0 || !strings.Contains(e.Errors[0].Message, "too many operations") {
		t.Fatalf("third subscription: %+v %v", e, err)
	}
	if err := c.Stop(ctx, first); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "one subscriber", func() bool { return hub.Len() == 1 })
	// The slot is free again.
	_, _, _ = c.Subscribe(ctx, stream, nil, 4)
	waitFor(t, "two subscribers again", func() bool { return hub.Len() == 2 })
}

func TestIdleConnectionIsClosed(t *testing.T) {
	l := defaults()
	l.IdleTimeout = 300 * time.Millisecond
	srv, hub := server(t, l)
	idle := dial(t, srv, "/graphql-ws", gqlws.LegacyWS)
	busy := dial(t, srv, "/graphql-ws", gqlws.TransportWS)
	id, _, _ := busy.Subscribe(context.Background(), stream, nil, 4)
	waitFor(t, "subscriber", func() bool { return hub.Len() == 1 })
	select {
	case <-idle.Done():
	case <-time.After(3 * time.Second):
		t.Fatal("idle connection still open")
	}
	select {
	case <-busy.Done():
		t.Fatal("connection with a subscription was closed as idle")
	case <-time.After(600 * time.Millisecond):
	}
	_ = busy.Stop(context.Background(), id)
	select {
	case <-busy.Done():
	case <-time.After(3 * time.Second):
		t.Fatal("connection idle after its subscription ended is still open")
	}
}

// TestDisconnectLeavesNoGoroutine: clients that vanish mid-subscription (no
// close handshake) leave no goroutine and no subscriber behind.
func TestDisconnectLeavesNoGoroutine(t *testing.T) {
	srv, hub := server(t, defaults())
	// Warm up once so lazily started runtime/HTTP goroutines are in the baseline.
	c := dial(t, srv, "/graphql-ws", gqlws.TransportWS)
	c.Close()
	waitFor(t, "warm-up connection gone", func() bool { return hub.Len() == 0 })
	time.Sleep(100 * time.Millisecond)
	baseline := runtime.NumGoroutine()

	var conns []*gqlws.Conn
	for i := range 20 {
		p := gqlws.TransportWS
		if i%2 == 1 {
			p = gqlws.LegacyWS
		}
		c := dial(t, srv, "/graphql", p)
		for range 3 {
			if _, _, err := c.Subscribe(context.Background(), stream, nil, 4); err != nil {
				t.Fatal(err)
			}
		}
		conns = append(conns, c)
	}
	waitFor(t, "60 subscribers", func() bool { return hub.Len() == 60 })
	if n := runtime.NumGoroutine(); n < baseline+60 {
		t.Fatalf("only %d goroutines with 60 subscriptions (baseline %d): the check below would prove nothing", n, baseline)
	}
	for _, c := range conns {
		c.Drop()
	}
	waitFor(t, "subscribers gone", func() bool { return hub.Len() == 0 })
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, baseline %d:\n%s", runtime.NumGoroutine(), baseline, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}
