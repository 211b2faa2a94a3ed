package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"openbank/kit/gqlws"
	"openbank/services/graphql-endpoint/internal/app/client"
	"openbank/services/graphql-endpoint/internal/domain/transaction"
	"openbank/services/graphql-endpoint/internal/ports/graph"
	"openbank/services/graphql-endpoint/internal/ports/graph/generated"
	"openbank/services/graphql-endpoint/internal/ports/httpapi"
)

// fakeServer is the handler on the fake bank, its log in logs.
func fakeServer(t *testing.T, l httpapi.Limits, logs io.Writer) *httptest.Server {
	t.Helper()
	bank := &fakeBank{}
	schema := generated.NewExecutableSchema(graph.NewSchema(&graph.Resolver{
		Transactions: bank, Commands: bank, Hub: graph.NewHub(nil), MaxLastTransactions: fakeRows}))
	srv := httptest.NewServer(httpapi.GraphQL(schema, httpapi.Config{Limits: l, CORSOrigins: []string{"*"},
		Log: slog.New(slog.NewTextHandler(logs, nil))}))
	t.Cleanup(srv.Close)
	return srv
}

// TestAliasedSubscriptionsAreUserErrors (issue 31 item 10): two aliases of
// one subscription field pass gqlparser's validation; they are refused as
// the client's mistake, and nothing is logged at ERROR.
func TestAliasedSubscriptionsAreUserErrors(t *testing.T) {
	var logs bytes.Buffer
	srv := fakeServer(t, defaults(), &logs)
	c := dial(t, srv, "/", gqlws.TransportWS)
	defer c.Close()
	for _, q := range []string{
		`subscription { a: stream_transactions { id } b: stream_transactions { id } }`,
		`subscription { stream_transactions { id } a: stream_transactions { id } }`,
		`subscription { a: stream_transactions { id } ...F } fragment F on Subscription { b: stream_transactions { id } }`,
		`subscription { ... { a: get_account(username: "someone1", password: "password1") { iban } } b: get_account(username: "someone1", password: "password1") { iban } }`,
	} {
		_, events, err := c.Subscribe(context.Background(), q, nil, 4)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		e, err := gqlws.First(ctx, events)
		cancel()
		if err != nil || len(e.Errors) == 0 || e.Errors[0].Extensions["code"] == "INTERNAL_SERVER_ERROR" {
			t.Errorf("%.60s: %+v %v", q, e.Errors, err)
		}
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("logged at ERROR:\n%s", logs.String())
	}
}

// TestSubscriptionOverPlainHTTPRefused: a stream over POST would hold the
// request until its first event.
func TestSubscriptionOverPlainHTTPRefused(t *testing.T) {
	srv := fakeServer(t, defaults(), io.Discard)
	if _, r := post(t, srv.URL+"/", body(`subscription { stream_transactions { id } }`)); !hasCode(r, "SUBSCRIPTION_NEEDS_WEBSOCKET") {
		t.Errorf("a stream over POST: %+v", r.Errors)
	}
}

// TestErrorsDoNotEchoTheBody (item 10): a batch, or a body that is not
// JSON, is refused without repeating it.
func TestErrorsDoNotEchoTheBody(t *testing.T) {
	srv := fakeServer(t, defaults(), io.Discard)
	secret := "hunter2-secret-password"
	for _, b := range []string{
		`[{"query":"mutation { login(username: \"a\", password: \"` + secret + `\") { reason } }"},{"query":"{ x }"}]`,
		`{"query": "` + secret,
	} {
		resp, err := http.Post(srv.URL+"/", "application/json", strings.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || bytes.Contains(got, []byte(secret)) || !bytes.Contains(got, []byte("BAD_REQUEST")) {
			t.Errorf("%.30s...: %d %s", b, resp.StatusCode, got)
		}
	}
}

// TestSlowBodyIsCutOff (item 4): a body that trickles is refused after
// BodyReadTimeout, not the whole request's time, and the answer names no
// socket address.
func TestSlowBodyIsCutOff(t *testing.T) {
	l := defaults()
	l.BodyReadTimeout = 300 * time.Millisecond
	srv := fakeServer(t, l, io.Discard)
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"query\":")
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, _ := io.ReadAll(conn) // the server answers and closes while the body is unfinished
	if !bytes.Contains(got, []byte(" 408 ")) || bytes.Contains(got, []byte("127.0.0.1")) || bytes.Contains(got, []byte("tcp")) {
		t.Errorf("a body stopped after 9 bytes: %q", got)
	}
}

// TestProxiedClientsAreCappedApart (item 3): behind a trusted proxy, one
// client's open requests are capped at its own count, not the proxy's.
func TestProxiedClientsAreCappedApart(t *testing.T) {
	proxies, _ := client.ParseProxies("127.0.0.1")
	l := defaults()
	l.MaxPerProxiedClient = 1
	release := make(chan struct{})
	h := httpapi.GraphQL(blockingSchema(release), httpapi.Config{Limits: l, Proxies: proxies, CORSOrigins: []string{"*"},
		Log: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer close(release)
	send := func(from string) chan int {
		done := make(chan int, 1)
		go func() {
			req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body(`{ all_last_transactions { id } }`)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Forwarded-For", from)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				done <- 0
				return
			}
			resp.Body.Close()
			done <- resp.StatusCode
		}()
		return done
	}
	first := send("198.51.100.1")
	time.Sleep(200 * time.Millisecond) // the first is waiting in its resolver
	if code := <-send("198.51.100.1"); code != http.StatusTooManyRequests {
		t.Errorf("a second request of one client at once: %d", code)
	}
	select {
	case code := <-send("198.51.100.2"):
		t.Errorf("another client's request did not wait in its resolver: %d", code)
	case <-time.After(200 * time.Millisecond): // admitted, waiting like the first
	}
	_ = first
}

// blockingBank's all_last_transactions waits until release is closed.
type blockingBank struct {
	fakeBank
	release chan struct{}
}

func (b *blockingBank) LastTransactions(ctx context.Context, _ int) ([]transaction.Transaction, error) {
	select {
	case <-b.release:
	case <-ctx.Done():
	}
	return nil, nil
}

func blockingSchema(release chan struct{}) graphql.ExecutableSchema {
	bank := &blockingBank{release: release}
	return generated.NewExecutableSchema(graph.NewSchema(&graph.Resolver{
		Transactions: bank, Commands: bank, Hub: graph.NewHub(nil), MaxLastTransactions: fakeRows}))
}

// TestNoOriginsGrantNone (item 4): with no CORS_ORIGINS no other origin is
// granted (an empty list must not become "*").
func TestNoOriginsGrantNone(t *testing.T) {
	srv := httptest.NewServer(httpapi.CORS(nil).Handler(http.NotFoundHandler()))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodOptions, srv.URL, nil)
	req.Header.Set("Origin", "http://evil.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("preflight from another origin granted %q", got)
	}
}

// TestQueryOverWebSocketHasADeadline (item 1): a query whose work would not
// end by itself is ended at RequestTimeout over WebSocket too.
func TestQueryOverWebSocketHasADeadline(t *testing.T) {
	l := defaults()
	l.RequestTimeout = 300 * time.Millisecond
	release := make(chan struct{}) // never closed: only the deadline ends the resolver
	srv := httptest.NewServer(httpapi.GraphQL(blockingSchema(release), httpapi.Config{Limits: l, CORSOrigins: []string{"*"},
		Log: slog.New(slog.DiscardHandler)}))
	defer srv.Close()
	c := dial(t, srv, "/", gqlws.TransportWS)
	defer c.Close()
	_, events, err := c.Subscribe(context.Background(), `{ all_last_transactions { id } }`, nil, 4)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e, err := gqlws.First(ctx, events)
	if err != nil {
		t.Fatalf("no answer: the query outlived its deadline: %v", err)
	}
	if string(e.Data) != `{"all_last_transactions":[]}` && len(e.Errors) == 0 {
		t.Errorf("answer %s %+v", e.Data, e.Errors)
	}
}
