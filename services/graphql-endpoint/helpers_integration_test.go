//go:build integration

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"openbank/kit/gqlws"
	"openbank/messaging"
	"openbank/messaging/clients"
	"openbank/messaging/messagingtest"
	"openbank/topology"
	"openbank/topology/ident"
	"openbank/topology/records"
)

// Queries as the original's frontend sends them.
const (
	qGetAccount = `subscription($u: String!, $p: String!) { get_account(username: $u, password: $p) { iban token reason } }`
	qTransfer   = `subscription($uuid: String!, $token: String!, $amount: Int!, $from: String!, $to: String!, $descr: String!) {
		money_transfer(uuid: $uuid, token: $token, amount: $amount, from: $from, to: $to, descr: $descr) { uuid success reason } }`
	qStream = `subscription($iban: String) { stream_transactions(iban: $iban) { id iban new_balance changed_by from_to descr direction } }`
)

// gwBin is this service, built once by TestMain.
var gwBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "graphql-endpoint-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	gwBin = filepath.Join(dir, "graphql-endpoint")
	build := exec.Command("go", "build", "-o", gwBin, ".")
	build.Env = clients.BuildEnv(os.Getenv("KAFKA_CLIENT"))
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func gatewayBinary(*testing.T) string { return gwBin }

// gatewayProc is a gateway process on the stack.
type gatewayProc struct {
	*messagingtest.Service
	port int
}

// startGateway runs the gateway binary with its own consumer group and waits
// until it is ready.
func startGateway(t *testing.T, env ...string) *gatewayProc {
	t.Helper()
	return startGatewayIn(t, true, env...)
}

// startGatewayIn starts a gateway in new groups; atEnd makes them start at
// the topics' ends (the tests are about live records, and the topics'
// history, earlier runs and other packages' tests, can be long), else the
// gateway chooses its start itself as in production.
func startGatewayIn(t *testing.T, atEnd bool, env ...string) *gatewayProc {
	t.Helper()
	port := messagingtest.FreePort(t)
	group := fmt.Sprintf("graphql-endpoint-test-%d-%d", port, time.Now().UnixNano()) // the principal's prefix: its groups
	if atEnd {
		messagingtest.StartGroupAtEnd(t, group+"-transactions", topology.TopicBalanceChanged)
		messagingtest.StartGroupAtEnd(t, group+"-feedback", topology.TopicAccountCreationFeedback, topology.TopicMoneyTransferFeedback)
	}
	env = append([]string{
		"HTTP_PORT=" + strconv.Itoa(port),
		"KAFKA_GROUP_ID=" + group,
		"FEEDBACK_TIMEOUT_MS=15000",
		"LOG_LEVEL=debug",
	}, env...)
	g := &gatewayProc{Service: messagingtest.Start(t, gatewayBinary(t), env...), port: port}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(g.url("/readyz"))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) || !g.Running() {
			t.Fatalf("gateway not ready: %v\n%s", err, g.Output())
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gateway on port %d said:\n%s", port, g.Output())
		}
	})
	return g
}

func (g *gatewayProc) url(path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", g.port, path)
}

func (g *gatewayProc) dial(t *testing.T, path, protocol string) *gqlws.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := gqlws.Dial(ctx, fmt.Sprintf("ws://127.0.0.1:%d%s", g.port, path), protocol)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// gqlResponse is an HTTP GraphQL answer.
type gqlResponse struct {
	Data   map[string]json.RawMessage `json:"data"`
	Errors []gqlws.GraphQLError       `json:"errors"`
}

func (g *gatewayProc) query(t *testing.T, query string, vars map[string]any) gqlResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	resp, err := http.Post(g.url("/graphql"), "application/json", bytes.NewReader(body))
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

// subscribe starts an operation on c.
func subscribe(t *testing.T, c *gqlws.Conn, query string, vars map[string]any) (string, <-chan gqlws.Event) {
	t.Helper()
	id, events, err := c.Subscribe(context.Background(), query, vars, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id, events
}

// next returns the next result of an operation, failing on errors or end.
func next[T any](t *testing.T, events <-chan gqlws.Event, field string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	e, err := gqlws.First(ctx, events)
	if err != nil {
		t.Fatalf("waiting for %s: %v", field, err)
	}
	if len(e.Errors) > 0 || e.Done {
		t.Fatalf("%s: errors %+v (done %v)", field, e.Errors, e.Done)
	}
	var data map[string]T
	if err := json.Unmarshal(e.Data, &data); err != nil {
		t.Fatalf("%s: %v in %s", field, err, e.Data)
	}
	return data[field]
}

type accountResult struct {
	IBAN   *string `json:"iban"`
	Token  *string `json:"token"`
	Reason *string `json:"reason"`
}

type transferResult struct {
	UUID    *string `json:"uuid"`
	Success *bool   `json:"success"`
	Reason  *string `json:"reason"`
}

type txResult struct {
	ID         int64  `json:"id"`
	IBAN       string `json:"iban"`
	NewBalance string `json:"new_balance"`
	ChangedBy  string `json:"changed_by"`
	FromTo     string `json:"from_to"`
	Descr      string `json:"descr"`
	Direction  string `json:"direction"`
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// handlerPart plays the command handler's part on the real topics: it sees
// the gateway's commands on `commands` and answers with real records.
type handlerPart struct {
	tail     *messagingtest.Tail
	producer *messaging.Producer
	mu       sync.Mutex
	handled  map[string]bool
}

func newHandlerPart(t *testing.T) *handlerPart {
	return &handlerPart{tail: messagingtest.NewTail(t, topology.TopicCommands), producer: messagingtest.Producer(t),
		handled: map[string]bool{}}
}

// command waits for the next not yet handled command of type R.
func command[R records.Record](t *testing.T, h *handlerPart) R {
	t.Helper()
	d := h.tail.WaitFor(t, 20*time.Second, func(d messaging.Delivery) bool {
		key := fmt.Sprintf("%d/%d", d.Partition, d.Offset)
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := d.Record.(R); !ok || h.handled[key] {
			return false
		}
		h.handled[key] = true
		return true
	})
	return d.Record.(R)
}

// commandsWithID counts the commands seen carrying id.
func (h *handlerPart) commandsWithID(id ident.CommandID) int {
	return len(h.tail.All(func(d messaging.Delivery) bool {
		switch r := d.Record.(type) {
		case *records.ConfirmMoneyTransfer:
			return ident.CommandIDFromFixed(r.ID) == id
		case *records.ConfirmAccountCreation:
			return ident.CommandIDFromFixed(r.ID) == id
		}
		return false
	}))
}

func (h *handlerPart) send(t *testing.T, id [16]byte, topic, key string, rec records.Record) {
	t.Helper()
	cid := ident.CommandIDFromFixed(id).String()
	if key == "" {
		key = cid
	}
	err := h.producer.Send(context.Background(), messaging.Message{Topic: topic, Key: key, Record: rec,
		Headers: []messaging.Header{messaging.CommandIDHeader(cid)}})
	if err != nil {
		t.Fatal(err)
	}
}

func (h *handlerPart) balanceChanged(t *testing.T, id [16]byte, bc *records.BalanceChanged) {
	h.send(t, id, topology.TopicBalanceChanged, bc.IBAN, bc)
}

func mustJSON(t *testing.T, raw []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%v in %s", err, raw)
	}
}
