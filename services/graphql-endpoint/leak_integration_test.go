//go:build integration

package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"openbank/kit/env"
	"openbank/kit/gqlws"
	"openbank/kit/pgpool"
	"openbank/messaging/messagingtest"
	"openbank/services/graphql-endpoint/internal/adapters/store"
	"openbank/services/graphql-endpoint/internal/app/gateway"
	"openbank/services/graphql-endpoint/internal/ports/graph"
	"openbank/services/graphql-endpoint/internal/ports/graph/generated"
	"openbank/services/graphql-endpoint/internal/ports/httpapi"
	"openbank/topology/records"
)

// TestDisconnectMidSubscriptionLeavesNoGoroutine runs the gateway in this
// process on the real database and Kafka, has clients wait for feedback
// (get_account, money_transfer) and follow streams, then vanishes them without
// a close handshake: the goroutine count must return to where it was.
func TestDisconnectMidSubscriptionLeavesNoGoroutine(t *testing.T) {
	port, err := strconv.Atoi(os.Getenv("DB_PORT"))
	if err != nil {
		t.Fatalf("DB_PORT: %v", err)
	}
	db := store.Config{DB: pgpool.DB{Host: os.Getenv("DB_HOSTNAME"), Port: port,
		User: "graphql_endpoint", Password: os.Getenv("DB_PASSWORD"), Database: "transactiondb", MaxConns: 4,
		MigrateUser: "transactiondb_owner", MigratePassword: os.Getenv("DB_MIGRATE_PASSWORD")},
		TokenSealKey: sealKey(t)}
	if _, err := store.Migrate(db); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h := newHandlerPart(t)
	hub := graph.NewHub(nil)
	log := messagingtest.Log(t)
	gw := gateway.New(st, h.producer, hub, gateway.Options{FeedbackTimeout: time.Minute}, log)
	schema := generated.NewExecutableSchema(graph.NewSchema(&graph.Resolver{Transactions: st, Commands: gw, Hub: hub}))
	mux := http.NewServeMux()
	httpapi.Routes(mux, mux, schema, httpapi.Config{
		Limits: httpapi.Limits{MaxDepth: 10, MaxComplexity: 200, MaxRequestBytes: 64 << 10, MaxSubscriptionsPerSocket: 20,
			IdleTimeout: time.Minute, PingInterval: 20 * time.Second},
		CORSOrigins: []string{"*"}, Log: log,
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	wsURL := "ws" + strings.TrimPrefix(srv.URL, "http")

	// open connects n clients, each waiting for an account, a transfer and a stream.
	open := func(n int) []*gqlws.Conn {
		var conns []*gqlws.Conn
		for i := range n {
			protocol, path := gqlws.TransportWS, "/graphql-ws"
			if i%2 == 1 {
				protocol, path = gqlws.LegacyWS, "/graphql"
			}
			c, err := gqlws.Dial(context.Background(), wsURL+path, protocol)
			if err != nil {
				t.Fatal(err)
			}
			subscribe(t, c, qGetAccount, map[string]any{"u": fmt.Sprintf("leak-%d-%d", time.Now().UnixNano(), i), "p": "password"})
			command[*records.ConfirmAccountCreation](t, h) // sent: now waiting for feedback that never comes
			subscribe(t, c, qTransfer, map[string]any{"uuid": uuid.NewString(), "token": "cash", "amount": 100,
				"from": "cash", "to": "NL66OPEN0000000000", "descr": "never answered"})
			command[*records.ConfirmMoneyTransfer](t, h)
			subscribe(t, c, qStream, map[string]any{"iban": "NL66OPEN0000000000"})
			subscribe(t, c, qStream, nil)
			conns = append(conns, c)
		}
		waitUntil(t, "stream subscribers", func() bool { return hub.Len() == 2*n })
		return conns
	}
	drop := func(conns []*gqlws.Conn) {
		for _, c := range conns {
			c.Drop()
		}
		waitUntil(t, "stream subscribers gone", func() bool { return hub.Len() == 0 })
	}

	// Warm up, so lazily started goroutines (pool, HTTP) are in the baseline.
	drop(open(1))
	time.Sleep(500 * time.Millisecond)
	baseline := runtime.NumGoroutine()

	conns := open(10)
	if n := runtime.NumGoroutine(); n < baseline+40 {
		t.Fatalf("%d goroutines with 10 busy clients, baseline %d: the check would prove nothing", n, baseline)
	}
	drop(conns)
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, baseline %d:\n%s", runtime.NumGoroutine(), baseline, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sealKey is the stack's TOKEN_SEAL_KEY (its env file), as the gateway reads it.
func sealKey(t *testing.T) []byte {
	t.Helper()
	e := env.New()
	k := e.Key("TOKEN_SEAL_KEY", store.MinSealKeyBytes, "the stack's")
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	return k
}
