//go:build integration

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	coderws "github.com/coder/websocket"
	"github.com/google/uuid"

	"openbank/kit/gqlws"
	"openbank/messaging"
	"openbank/topology"
	"openbank/topology/ident"
	"openbank/topology/records"
)

// Each test sends an attack of issue 31 ("Secure by default") to a gateway
// on the real stack and checks the bounded answer.

// queryFrom posts a query as if forwarded by a proxy for client (X-Forwarded-For).
func (g *gatewayProc) queryFrom(t *testing.T, client, query string, vars map[string]any) gqlResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, g.url("/graphql"), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if client != "" {
		req.Header.Set("X-Forwarded-For", client)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r gqlResponse
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("decode answer (status %d): %v", resp.StatusCode, err)
	}
	return r
}

// openAccount opens user's account through get_account, the handler part
// confirming it; it returns the iban.
func openAccount(t *testing.T, c *gqlws.Conn, h *handlerPart, user, password string) string {
	t.Helper()
	_, events := subscribe(t, c, qGetAccount, map[string]any{"u": user, "p": password})
	create := command[*records.ConfirmAccountCreation](t, h)
	iban, _ := ident.NewIBAN()
	h.send(t, create.ID, topology.TopicAccountCreationFeedback, "",
		&records.AccountCreationConfirmed{ID: create.ID, IBAN: iban, Token: "12345678901234567890", AType: records.AtypeManual})
	if r := next[accountResult](t, events, "get_account"); str(r.IBAN) != iban {
		t.Fatalf("open %s: %s %s", user, str(r.IBAN), str(r.Reason))
	}
	return iban
}

// TestFragmentBombAndNestedLogins (items 1 and 2): the 2 KB document of 40
// fragment levels that each spread the next twice, and 110 logins in 11
// nested inline fragments, are refused before any walk or hash; the
// gateway answers the next request at once.
func TestFragmentBombAndNestedLogins(t *testing.T) {
	gw := startGateway(t)
	var bomb strings.Builder
	bomb.WriteString("query { all_last_transactions { ...F0 } }\n")
	for i := range 40 {
		fmt.Fprintf(&bomb, "fragment F%d on Transaction { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	bomb.WriteString("fragment F40 on Transaction { id }\n")
	if r := gw.query(t, bomb.String(), nil); !hasErrorCode(r.Errors, "FIELD_LIMIT_EXCEEDED") {
		t.Errorf("%d-byte fragment bomb: %v", bomb.Len(), errorCodes(r.Errors))
	}
	var logins strings.Builder
	for i := range 110 {
		fmt.Fprintf(&logins, `l%d: login(username: "nobody-%d", password: "password") { reason } `, i, i)
	}
	nested := "mutation { " + strings.Repeat("... { ", 11) + logins.String() + strings.Repeat("} ", 11) + "}"
	if r := gw.query(t, nested, nil); !hasErrorCode(r.Errors, "PASSWORD_OPERATIONS_LIMIT") || len(r.Data) > 0 {
		t.Errorf("110 logins in 11 inline fragments: %v %s", errorCodes(r.Errors), r.Data)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, gw.url("/graphql"), strings.NewReader(`{"query":"{ __typename }"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("the gateway after the attacks: %v", err)
	}
	resp.Body.Close()
}

// TestPasswordHashesChargedPerClientAndUsername (items 2 and 3): behind a
// trusted proxy each forwarded client has its own budget, charged per hash;
// a username's budget holds against many clients; a new password needs 8
// characters; open_account of a taken name says so without a hash.
func TestPasswordHashesChargedPerClientAndUsername(t *testing.T) {
	gw := startGateway(t, "TRUSTED_PROXIES=127.0.0.1", "PASSWORD_RATE_PER_MINUTE=1", "PASSWORD_RATE_BURST=2",
		"PASSWORD_RATE_PER_USERNAME_PER_MINUTE=1", "PASSWORD_RATE_PER_USERNAME_BURST=3")
	const login = `mutation($u: String!, $p: String!) { login(username: $u, password: $p) { reason } }`
	suffix := time.Now().UnixNano()
	for i := range 2 {
		if r := gw.queryFrom(t, "198.51.100.1", login, map[string]any{"u": fmt.Sprintf("a-%d-%d", suffix, i), "p": "guess-guess"}); len(r.Errors) > 0 {
			t.Fatalf("client 1, login %d: %v", i+1, errorCodes(r.Errors))
		}
	}
	if r := gw.queryFrom(t, "198.51.100.1", login, map[string]any{"u": fmt.Sprintf("a-%d-9", suffix), "p": "guess-guess"}); !hasErrorCode(r.Errors, "RATE_LIMITED") {
		t.Errorf("client 1's third hash within the minute: %v", errorCodes(r.Errors))
	}
	// Another client behind the same proxy is not locked out.
	victim := fmt.Sprintf("victim-%d", suffix)
	for i, client := range []string{"198.51.100.2", "198.51.100.3", "198.51.100.4"} {
		if r := gw.queryFrom(t, client, login, map[string]any{"u": victim, "p": "guess-guess"}); len(r.Errors) > 0 {
			t.Fatalf("client %d's guess at the victim: %v", i+2, errorCodes(r.Errors))
		}
	}
	if r := gw.queryFrom(t, "198.51.100.5", login, map[string]any{"u": victim, "p": "guess-guess"}); !hasErrorCode(r.Errors, "RATE_LIMITED") {
		t.Errorf("a fourth client's guess at a username with 3 tries spent: %v", errorCodes(r.Errors))
	}
	// The client's own X-Forwarded-For is not believed: the proxy appends the real one.
	if r := gw.queryFrom(t, "198.51.100.2, 198.51.100.1", login, map[string]any{"u": "x-" + victim, "p": "guess-guess"}); !hasErrorCode(r.Errors, "RATE_LIMITED") {
		t.Errorf("client 1 naming another client in front of itself: %v", errorCodes(r.Errors))
	}
	const open = `mutation($u: String!, $p: String!) { open_account(username: $u, password: $p) { iban reason } }`
	if r := gw.queryFrom(t, "198.51.100.6", open, map[string]any{"u": "short-" + victim, "p": "1234567"}); !namesArgument(r.Errors, "password") {
		t.Errorf("a new account with a 7-character password: %+v", r.Errors)
	}
}

// TestOpenAccountOfATakenName (issue 33 item 6): a username that exists is
// answered 'username taken' whatever the password, and no hash is spent on
// it (the username's budget is untouched).
func TestOpenAccountOfATakenName(t *testing.T) {
	gw := startGateway(t, "PASSWORD_RATE_PER_USERNAME_PER_MINUTE=1", "PASSWORD_RATE_PER_USERNAME_BURST=2")
	h := newHandlerPart(t)
	user := fmt.Sprintf("taken-%d", time.Now().UnixNano())
	openAccount(t, gw.dial(t, "/graphql-ws", gqlws.TransportWS), h, user, "right-password") // 1 of 2
	const open = `mutation($u: String!, $p: String!) { open_account(username: $u, password: $p) { iban token reason } }`
	for _, p := range []string{"right-password", "wrong-password", "x"} {
		var r accountResult
		mustJSON(t, gw.query(t, open, map[string]any{"u": user, "p": p}).Data["open_account"], &r)
		if str(r.Reason) != "username taken" || r.IBAN != nil || r.Token != nil {
			t.Errorf("open_account(%s, %s): %s %s", user, p, str(r.IBAN), str(r.Reason))
		}
	}
	const login = `mutation($u: String!, $p: String!) { login(username: $u, password: $p) { iban reason } }`
	var r accountResult
	mustJSON(t, gw.query(t, login, map[string]any{"u": user, "p": "right-password"}).Data["login"], &r) // 2 of 2
	if r.IBAN == nil {
		t.Errorf("login after three openings of the taken name: %s (were they charged as hashes?)", str(r.Reason))
	}
}

// TestTextIsNormalisedAndInvisibleRefused (item 9): bidi, zero-width and line
// separators are refused naming the argument; a full-width username is the
// same account as its ASCII form.
func TestTextIsNormalisedAndInvisibleRefused(t *testing.T) {
	gw := startGateway(t)
	h := newHandlerPart(t)
	c := gw.dial(t, "/graphql-ws", gqlws.TransportWS)
	transfer := map[string]any{"uuid": uuid.NewString(), "token": "cash", "amount": 100, "from": "cash",
		"to": "\u202e0000000000NEPO66LN", "descr": "d"}
	if e := firstEvent(t, c, qTransfer, transfer); !namesArgument(e.Errors, "to") {
		t.Errorf("to the bank's iban reversed by U+202E: %+v", e.Errors)
	}
	transfer["uuid"], transfer["to"], transfer["descr"] = uuid.NewString(), "NL66OPEN0000000000", "line\u2028separator"
	if e := firstEvent(t, c, qTransfer, transfer); !namesArgument(e.Errors, "descr") {
		t.Errorf("descr with U+2028: %+v", e.Errors)
	}
	if e := firstEvent(t, c, qGetAccount, map[string]any{"u": "ann\u200ba", "p": "password"}); !namesArgument(e.Errors, "username") {
		t.Errorf("username with a zero-width space: %+v", e.Errors)
	}
	n := time.Now().UnixNano()
	iban := openAccount(t, c, h, fmt.Sprintf("ｊａｎ-%d", n), "password-of-jan")
	const login = `mutation($u: String!, $p: String!) { login(username: $u, password: $p) { iban reason } }`
	var r accountResult
	mustJSON(t, gw.query(t, login, map[string]any{"u": fmt.Sprintf("jan-%d", n), "p": "password-of-jan"}).Data["login"], &r)
	if str(r.IBAN) != iban {
		t.Errorf("login as the ASCII form of a full-width name: %s %s", str(r.IBAN), str(r.Reason))
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(h.tail.All(func(d messaging.Delivery) bool { _, ok := d.Record.(*records.ConfirmMoneyTransfer); return ok })); n != 0 {
		t.Errorf("%d transfers produced for refused arguments", n)
	}
}

// TestAliasedSubscriptionAndEcho (item 10): two aliases of one subscription
// field are the client's error, logged at no ERROR; a batch is refused
// without repeating it.
func TestAliasedSubscriptionAndEcho(t *testing.T) {
	gw := startGateway(t)
	c := gw.dial(t, "/graphql-ws", gqlws.TransportWS)
	e := firstEvent(t, c, `subscription { a: stream_transactions { id } b: stream_transactions { id } }`, nil)
	if !hasErrorCode(e.Errors, "SUBSCRIPTION_FIELDS") {
		t.Errorf("aliased subscription: %+v", e.Errors)
	}
	secret := "hunter2-in-a-batch"
	batch := `[{"query":"mutation { login(username: \"a\", password: \"` + secret + `\") { reason } }"},{"query":"{ __typename }"}]`
	resp, err := http.Post(gw.url("/graphql"), "application/json", strings.NewReader(batch))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || bytes.Contains(b, []byte(secret)) {
		t.Errorf("batch: %d %s", resp.StatusCode, b)
	}
	time.Sleep(200 * time.Millisecond)
	if out := gw.Output(); strings.Contains(out, `"level":"ERROR"`) || strings.Contains(out, secret) {
		t.Errorf("the log has an ERROR or the batch:\n%s", out)
	}
}

// TestSecureDefaults (item 4): with nothing set, a body that trickles is cut
// off at HTTP_BODY_TIMEOUT_MS with an answer naming no socket; a page of
// another origin gets no CORS grant and no WebSocket.
func TestSecureDefaults(t *testing.T) {
	gw := startGateway(t, "HTTP_BODY_TIMEOUT_MS=1000")
	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", gw.port))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"query\":")
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	b, _ := io.ReadAll(conn)
	if !bytes.Contains(b, []byte(" 408 ")) || bytes.Contains(b, []byte("127.0.0.1")) || bytes.Contains(b, []byte("tcp ")) {
		t.Errorf("trickling body: %q", b)
	}
	req, _ := http.NewRequest(http.MethodOptions, gw.url("/graphql"), nil)
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
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := coderws.Dial(ctx, fmt.Sprintf("ws://127.0.0.1:%d/graphql-ws", gw.port), &coderws.DialOptions{
		Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: http.Header{"Origin": {"http://evil.example"}}})
	if err == nil {
		ws.CloseNow()
		t.Error("a WebSocket from another origin was accepted")
	}
}
