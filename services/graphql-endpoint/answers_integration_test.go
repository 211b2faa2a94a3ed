//go:build integration

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"openbank/kit/gqlws"
	"openbank/messaging"
	"openbank/topology"
	"openbank/topology/records"
)

func TestStuckTransferGetsAnAnswer(t *testing.T) {
	gw := startGateway(t, "FEEDBACK_TIMEOUT_MS=1000")
	h := newHandlerPart(t)
	c := gw.dial(t, "/graphql-ws", gqlws.TransportWS)
	id := uuid.NewString()
	vars := map[string]any{"uuid": id, "token": "cash", "amount": 100, "from": "cash", "to": "NL66OPEN0000000000", "descr": "first"}
	_, events := subscribe(t, c, qTransfer, vars)
	first := command[*records.ConfirmMoneyTransfer](t, h) // lost: never answered
	if r := next[transferResult](t, events, "money_transfer"); r.Success == nil || *r.Success {
		t.Fatalf("unanswered transfer: %+v", r)
	}
	vars["descr"] = "changed on retry"
	_, events = subscribe(t, c, qTransfer, vars)
	again := command[*records.ConfirmMoneyTransfer](t, h)
	if again.ID != first.ID || again.Description != "first" || again.Amount != first.Amount {
		t.Fatalf("re-sent %+v, want the stored %+v", again, first)
	}
	h.send(t, again.ID, topology.TopicMoneyTransferFeedback, "", &records.MoneyTransferFailed{ID: again.ID, Reason: "insufficient funds"})
	if r := next[transferResult](t, events, "money_transfer"); r.Success == nil || *r.Success || str(r.Reason) != "insufficient funds" {
		t.Errorf("retry: %+v %s", r, str(r.Reason))
	}
	// From now on the stored answer, without sending.
	_, events = subscribe(t, c, qTransfer, vars)
	if r := next[transferResult](t, events, "money_transfer"); str(r.Reason) != "insufficient funds" {
		t.Errorf("third try: %s", str(r.Reason))
	}
	if n := h.commandsWithID(uuid.MustParse(id)); n != 2 {
		t.Errorf("sent %d times, want 2", n)
	}
}

// TestOwnAccountCannotBeSpent (item 7): the published token of the bank's own
// account does not work through the API.
func TestOwnAccountCannotBeSpent(t *testing.T) {
	gw := startGateway(t)
	h := newHandlerPart(t)
	c := gw.dial(t, "/graphql-ws", gqlws.TransportWS)
	e := firstEvent(t, c, qTransfer, map[string]any{"uuid": uuid.NewString(), "token": os.Getenv("BANK_TOKEN"), "amount": 100,
		"from": "NL66OPEN0000000000", "to": "cash", "descr": "take"})
	if !namesArgument(e.Errors, "from") {
		t.Errorf("spending the bank's account: %+v", e)
	}
	time.Sleep(500 * time.Millisecond)
	if n := len(h.tail.All(func(messaging.Delivery) bool { return true })); n != 0 {
		t.Errorf("%d commands produced", n)
	}
}

// TestLoginSameAnswer (item 8): an unknown username and a wrong password get
// the same answer.
func TestLoginSameAnswer(t *testing.T) {
	gw := startGateway(t)
	h := newHandlerPart(t)
	c := gw.dial(t, "/graphql-ws", gqlws.TransportWS)
	user := fmt.Sprintf("carol-%d", time.Now().UnixNano())
	_, events := subscribe(t, c, qGetAccount, map[string]any{"u": user, "p": "right password"})
	cmd := command[*records.ConfirmAccountCreation](t, h)
	h.send(t, cmd.ID, topology.TopicAccountCreationFeedback, "",
		&records.AccountCreationConfirmed{ID: cmd.ID, IBAN: "NL47OPEN0123456789", Token: "12345678901234567890", AType: records.AtypeManual})
	if r := next[accountResult](t, events, "get_account"); r.IBAN == nil {
		t.Fatalf("account: %s", str(r.Reason))
	}
	login := `mutation($u: String!, $p: String!) { login(username: $u, password: $p) { iban reason } }`
	var reasons []string
	for _, v := range []map[string]any{{"u": user, "p": "wrong password"}, {"u": user + "-unknown", "p": "wrong password"}} {
		start := time.Now()
		r := gw.query(t, login, v)
		var a accountResult
		mustJSON(t, r.Data["login"], &a)
		reasons = append(reasons, str(a.Reason))
		t.Logf("login %s: %q in %s", v["u"], str(a.Reason), time.Since(start))
	}
	if reasons[0] != "incorrect username or password" || reasons[1] != reasons[0] {
		t.Errorf("reasons %q", reasons)
	}
}

// TestKafkaDown (item 11): with the broker paused, a request is answered
// with an error within KAFKA_SEND_TIMEOUT_MS (+ the feedback wait bound).
func TestKafkaDown(t *testing.T) {
	stack := os.Getenv("STACK_DIR")
	raw, err := os.ReadFile(filepath.Join(stack, "run", "kafka-1.pid"))
	if stack == "" || err != nil {
		t.Skipf("needs the test stack's Kafka pid (STACK_DIR/run/kafka-1.pid): %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	gw := startGateway(t, "KAFKA_SEND_TIMEOUT_MS=2000", "FEEDBACK_TIMEOUT_MS=2000", "SHUTDOWN_TIMEOUT_MS=3000")
	c := gw.dial(t, "/graphql-ws", gqlws.TransportWS)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
			t.Errorf("resume Kafka (pid %d): %v", pid, err)
		}
	}()
	start := time.Now()
	e := firstEvent(t, c, qTransfer, map[string]any{"uuid": uuid.NewString(), "token": "cash", "amount": 100,
		"from": "cash", "to": "NL66OPEN0000000000", "descr": "while Kafka is down"})
	took := time.Since(start)
	t.Logf("answer after %s: %+v", took, e)
	if !hasErrorCode(e.Errors, "UNAVAILABLE") {
		t.Errorf("errors %+v", e.Errors)
	}
	if took > 30*time.Second {
		t.Errorf("answered after %s", took)
	}
	// Shutdown is bounded too, Kafka still down (SHUTDOWN_TIMEOUT_MS 3 s; Stop fails the test past 30 s).
	_ = gw.Stop(30 * time.Second)
}
