//go:build integration

package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"openbank/kit/gqlws"
	"openbank/messaging"
	"openbank/topology/records"
)

// Each test sends an attack from issue "Hardening the public API" and checks
// the bounded answer. No assertion is tighter than the bound configured.

func errorCodes(errs []gqlws.GraphQLError) []string {
	var codes []string
	for _, e := range errs {
		c, _ := e.Extensions["code"].(string)
		codes = append(codes, c)
	}
	return codes
}

func hasErrorCode(errs []gqlws.GraphQLError, code string) bool {
	for _, c := range errorCodes(errs) {
		if c == code {
			return true
		}
	}
	return false
}

// namesArgument says whether some error is BAD_USER_INPUT naming arg.
func namesArgument(errs []gqlws.GraphQLError, arg string) bool {
	for _, e := range errs {
		if e.Extensions["code"] == "BAD_USER_INPUT" && e.Extensions["argument"] == arg {
			return true
		}
	}
	return false
}

// firstEvent is an operation's first event over WebSocket (errors included).
func firstEvent(t *testing.T, c *gqlws.Conn, query string, vars map[string]any) gqlws.Event {
	t.Helper()
	_, events := subscribe(t, c, query, vars)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, err := gqlws.First(ctx, events)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestBoundedCost (item 1): 60 KB of repeated fields, 25 aliases of 1,000
// items, all_last_transactions bounded.
func TestBoundedCost(t *testing.T) {
	gw := startGateway(t, "MAX_LAST_TRANSACTIONS=2", "MAX_REQUEST_BYTES=1048576")
	h := newHandlerPart(t)
	huge := "{ all_last_transactions { " + strings.Repeat("id ", 20_000) + "} }"
	if r := gw.query(t, huge, nil); !hasErrorCode(r.Errors, "TOKEN_LIMIT_EXCEEDED") {
		t.Errorf("60 KB of fields: %v", errorCodes(r.Errors))
	}
	var q strings.Builder
	q.WriteString("{")
	for i := range 25 {
		fmt.Fprintf(&q, ` a%d: transactions_by_iban(iban: "NL66OPEN0000000000", max_items: 1000) { id iban descr }`, i)
	}
	q.WriteString("}")
	if r := gw.query(t, q.String(), nil); !hasErrorCode(r.Errors, "COMPLEXITY_LIMIT_EXCEEDED") {
		t.Errorf("25 aliases of 1,000 items: %v", errorCodes(r.Errors))
	}
	// Three ibans with a transaction; all_last_transactions answers at most 2.
	suffix := time.Now().UnixNano()
	for i := range 3 {
		h.balanceChanged(t, uuid.New(), &records.BalanceChanged{IBAN: fmt.Sprintf("BOUND%d-%d", suffix, i), NewBalance: 1, ChangedBy: 1, FromTo: "cash", Description: "d"})
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := gw.query(t, fmt.Sprintf(`{ transactions_by_iban(iban: "BOUND%d-2", max_items: 1) { id } }`, suffix), nil)
		if len(r.Errors) == 0 && string(r.Data["transactions_by_iban"]) != "[]" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("transactions not stored: %+v", r)
		}
		time.Sleep(100 * time.Millisecond)
	}
	r := gw.query(t, `{ all_last_transactions { id iban } }`, nil)
	var last []txResult
	mustJSON(t, r.Data["all_last_transactions"], &last)
	if len(r.Errors) > 0 || len(last) != 2 {
		t.Errorf("all_last_transactions with MAX_LAST_TRANSACTIONS=2: %d rows, errors %+v", len(last), r.Errors)
	}
}

// TestPasswordOperations (item 2): 100 aliases of login are refused before
// any hash; the per-client rate limit refuses past its burst.
func TestPasswordOperations(t *testing.T) {
	gw := startGateway(t, "PASSWORD_RATE_PER_MINUTE=1", "PASSWORD_RATE_BURST=2", "HASH_CONCURRENCY=1")
	var q strings.Builder
	q.WriteString("mutation {")
	for i := range 100 {
		fmt.Fprintf(&q, ` a%d: login(username: "nobody-here", password: "secret") { reason }`, i)
	}
	q.WriteString("}")
	if r := gw.query(t, q.String(), nil); !hasErrorCode(r.Errors, "PASSWORD_OPERATIONS_LIMIT") || len(r.Data) > 0 && string(r.Data["a0"]) != "" {
		t.Errorf("100 logins in one request: %v %s", errorCodes(r.Errors), r.Data)
	}
	login := `mutation { login(username: "nobody-here", password: "secret") { reason } }`
	for i := range 2 {
		if r := gw.query(t, login, nil); len(r.Errors) > 0 {
			t.Fatalf("login %d of the burst: %+v", i+1, r.Errors)
		}
	}
	if r := gw.query(t, login, nil); !hasErrorCode(r.Errors, "RATE_LIMITED") {
		t.Errorf("third login within the minute: %v", errorCodes(r.Errors))
	}
}

// TestConnectionBounds (item 3): idle keep-alive and unfinished bodies are
// closed, one client's connections are capped, idle WebSockets of both
// sub-protocols are closed, and every operation counts per connection.
func TestConnectionBounds(t *testing.T) {
	gw := startGateway(t, "HTTP_IDLE_TIMEOUT_MS=1000", "HTTP_READ_TIMEOUT_MS=3000", "FEEDBACK_TIMEOUT_MS=1000", "KAFKA_SEND_TIMEOUT_MS=1000",
		"MAX_CONNECTIONS_PER_CLIENT=8", "WS_IDLE_TIMEOUT_MS=2000", "MAX_SUBSCRIPTIONS_PER_CONNECTION=1")
	http.DefaultClient.CloseIdleConnections()
	addr := fmt.Sprintf("127.0.0.1:%d", gw.port)

	closedWithin := func(name string, c net.Conn, bound time.Duration) {
		t.Helper()
		_ = c.SetReadDeadline(time.Now().Add(bound))
		buf := make([]byte, 4096)
		for {
			if _, err := c.Read(buf); err != nil {
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					t.Errorf("%s: still open after %s", name, bound)
				}
				return
			}
		}
	}
	// Keep-alive connection left idle after one request (bound: 1 s, checked within 20 s).
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(idle, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	if _, err := http.ReadResponse(bufio.NewReader(idle), nil); err != nil {
		t.Fatal(err)
	}
	closedWithin("idle keep-alive", idle, 20*time.Second)
	idle.Close()
	// A body announced and never sent (bound: 3 s).
	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(slow, "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"query\":")
	closedWithin("unfinished body", slow, 30*time.Second)
	slow.Close()

	// Idle WebSockets of both sub-protocols are closed (bound: 2 s).
	for _, p := range []struct{ path, protocol string }{{"/graphql-ws", gqlws.TransportWS}, {"/graphql", gqlws.LegacyWS}} {
		c := gw.dial(t, p.path, p.protocol)
		select {
		case <-c.Done():
		case <-time.After(30 * time.Second):
			t.Errorf("%s: idle WebSocket still open", p.protocol)
		}
	}

	// Every operation counts: with a stream running, a query on the same connection is refused.
	c := gw.dial(t, "/graphql-ws", gqlws.TransportWS)
	subscribe(t, c, qStream, map[string]any{"iban": "NL66OPEN0000000000"})
	time.Sleep(200 * time.Millisecond)
	if e := firstEvent(t, c, `query { transaction_by_id(id: 1) { id } }`, nil); len(e.Errors) == 0 ||
		!strings.Contains(e.Errors[0].Message, "too many operations") {
		t.Errorf("second operation on a connection allowing one: %+v", e)
	}

	// Connections per client: past the cap the answer is 429.
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	refused := false
	for i := 0; i < 20 && !refused; i++ {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, nc)
		fmt.Fprintf(nc, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
		if err != nil {
			t.Fatalf("connection %d: %v", i+1, err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			refused = true
		}
	}
	if !refused || len(conns) > 8+1 {
		t.Errorf("MAX_CONNECTIONS_PER_CLIENT=8: refused %v after %d connections", refused, len(conns))
	}
}

// TestInternalErrorsAreHidden (item 4): a database error reaches the client
// as a generic message with an id; the detail is in the log under that id.
func TestInternalErrorsAreHidden(t *testing.T) {
	gw := startGateway(t)
	ctx := context.Background()
	db, err := pgx.Connect(ctx, fmt.Sprintf("postgres://transactiondb_owner:%s@%s:%s/transactiondb",
		os.Getenv("DB_MIGRATE_PASSWORD"), os.Getenv("DB_HOSTNAME"), os.Getenv("DB_PORT")))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	// The database's owner takes the service's right to read accounts away for a moment.
	if _, err := db.Exec(ctx, `REVOKE SELECT ON accounts FROM graphql_endpoint`); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if _, err := db.Exec(ctx, `GRANT SELECT ON accounts TO graphql_endpoint`); err != nil {
			t.Error(err)
		}
	}()
	r := gw.query(t, `mutation { login(username: "someone", password: "secret") { reason } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "INTERNAL_SERVER_ERROR" {
		t.Fatalf("errors %+v", r.Errors)
	}
	msg := r.Errors[0].Message
	id, _ := r.Errors[0].Extensions["request_id"].(string)
	if strings.Contains(msg, "permission") || strings.Contains(msg, "SQLSTATE") || id == "" || !strings.Contains(msg, id) {
		t.Errorf("message %q (id %q)", msg, id)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(gw.Output(), id) {
		if time.Now().After(deadline) {
			t.Fatalf("the log has no line with request id %s", id)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, line := range strings.Split(gw.Output(), "\n") {
		if strings.Contains(line, id) && !strings.Contains(line, "permission denied") {
			t.Errorf("log line without the detail: %s", line)
		}
	}
}

// TestTextArguments (item 5): long, NUL, control and invalid UTF-8 text is
// refused naming the argument, and nothing reaches Kafka.
func TestTextArguments(t *testing.T) {
	gw := startGateway(t)
	h := newHandlerPart(t)
	c := gw.dial(t, "/graphql-ws", gqlws.TransportWS)
	transfer := func(change func(map[string]any)) map[string]any {
		v := map[string]any{"uuid": uuid.NewString(), "token": "cash", "amount": 100, "from": "cash", "to": "NL66OPEN0000000000", "descr": "d"}
		change(v)
		return v
	}
	for _, a := range []struct {
		arg  string
		vars map[string]any
	}{
		{"descr", transfer(func(v map[string]any) { v["descr"] = strings.Repeat("x", 60_000) })},
		{"descr", transfer(func(v map[string]any) { v["descr"] = "a\x00b" })},
		{"descr", transfer(func(v map[string]any) { v["descr"] = "line\nbreak" })},
		{"to", transfer(func(v map[string]any) { v["to"] = strings.Repeat("N", 65) })},
		{"token", transfer(func(v map[string]any) { v["token"] = "\x00" })},
	} {
		if e := firstEvent(t, c, qTransfer, a.vars); !namesArgument(e.Errors, a.arg) {
			t.Errorf("%s %q...: %+v", a.arg, fmt.Sprint(a.vars[a.arg])[:min(10, len(fmt.Sprint(a.vars[a.arg])))], e.Errors)
		}
	}
	if e := firstEvent(t, c, qGetAccount, map[string]any{"u": strings.Repeat("u", 5000), "p": "secret-pw"}); !namesArgument(e.Errors, "username") {
		t.Errorf("long username: %+v", e.Errors)
	}
	if e := firstEvent(t, c, `subscription($d: String) { stream_transactions(descr_includes: $d) { id } }`,
		map[string]any{"d": strings.Repeat("d", 1000)}); !namesArgument(e.Errors, "descr_includes") {
		t.Errorf("long descr_includes: %+v", e.Errors)
	}
	if r := gw.query(t, `query($i: String!) { transactions_by_iban(iban: $i, max_items: 1) { id } }`,
		map[string]any{"i": "NL\x0066"}); !namesArgument(r.Errors, "iban") {
		t.Errorf("iban with NUL: %+v", r.Errors)
	}
	time.Sleep(500 * time.Millisecond)
	if n := len(h.tail.All(func(messaging.Delivery) bool { return true })); n != 0 {
		t.Errorf("%d commands produced for invalid arguments", n)
	}
}

// TestStuckTransferGetsAnAnswer (item 6): the first send's feedback never
// comes; a retry sends the stored command again under the same id (not the
// retry's arguments), and its answer is the retry's.
