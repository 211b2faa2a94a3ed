//go:build integration

package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"openbank/kit/gqlws"
	"openbank/messaging"
	"openbank/topology"
	"openbank/topology/ident"
	"openbank/topology/records"
)

// TestBankThroughGateway opens an account, deposits, transfers and watches the
// stream, over each WebSocket sub-protocol and path, with this test playing
// the command handler's part on the real topics.
func TestBankThroughGateway(t *testing.T) {
	gw := startGateway(t)
	for _, c := range []struct{ protocol, path string }{
		{gqlws.TransportWS, "/graphql-ws"},
		{gqlws.LegacyWS, "/graphql"},
		{gqlws.TransportWS, "/graphql"},
		{gqlws.LegacyWS, "/graphql-ws"},
	} {
		t.Run(c.protocol+c.path, func(t *testing.T) { bankScenario(t, gw, c.protocol, c.path) })
	}
}

func bankScenario(t *testing.T, gw *gatewayProc, protocol, path string) {
	h := newHandlerPart(t)
	conn := gw.dial(t, path, protocol)
	user := fmt.Sprintf("user-%d", time.Now().UnixNano())

	// Open the account: the command handler's feedback brings iban and token.
	_, events := subscribe(t, conn, qGetAccount, map[string]any{"u": user, "p": "secret-pw"})
	create := command[*records.ConfirmAccountCreation](t, h)
	if create.AType != records.AtypeManual {
		t.Errorf("a_type %s, want MANUAL", create.AType)
	}
	iban, _ := ident.NewIBAN()
	token, _ := ident.NewToken()
	h.send(t, create.ID, topology.TopicAccountCreationFeedback, "",
		&records.AccountCreationConfirmed{ID: create.ID, IBAN: iban, Token: token, AType: records.AtypeManual})
	acc := next[accountResult](t, events, "get_account")
	if str(acc.IBAN) != iban || str(acc.Token) != token || acc.Reason != nil {
		t.Fatalf("get_account = %s %s %s, want %s %s", str(acc.IBAN), str(acc.Token), str(acc.Reason), iban, token)
	}

	// Logging in again answers the same account, without a command.
	_, events = subscribe(t, conn, qGetAccount, map[string]any{"u": user, "p": "secret-pw"})
	if again := next[accountResult](t, events, "get_account"); str(again.IBAN) != iban || str(again.Token) != token {
		t.Errorf("login = %+v", again)
	}
	// A wrong password.
	_, events = subscribe(t, conn, qGetAccount, map[string]any{"u": user, "p": "Secret-pw"})
	if wrong := next[accountResult](t, events, "get_account"); str(wrong.Reason) != "incorrect password" || wrong.IBAN != nil {
		t.Errorf("wrong password = %s %s", str(wrong.IBAN), str(wrong.Reason))
	}

	_, stream := subscribe(t, conn, qStream, map[string]any{"iban": iban})

	// Deposit €10.
	deposit := uuid.NewString()
	_, events = subscribe(t, conn, qTransfer, map[string]any{"uuid": deposit, "token": "cash", "amount": 1000,
		"from": "cash", "to": iban, "descr": "first deposit"})
	cmd := command[*records.ConfirmMoneyTransfer](t, h)
	if ident.CommandIDFromFixed(cmd.ID).String() != deposit || cmd.Amount != 1000 || cmd.From != "cash" || cmd.To != iban ||
		cmd.Description != "first deposit" {
		t.Fatalf("command %+v", cmd)
	}
	h.balanceChanged(t, cmd.ID, &records.BalanceChanged{IBAN: iban, NewBalance: 1000, ChangedBy: 1000, FromTo: "cash", Description: "first deposit"})
	h.send(t, cmd.ID, topology.TopicMoneyTransferFeedback, "", &records.MoneyTransferConfirmed{ID: cmd.ID})
	if r := next[transferResult](t, events, "money_transfer"); str(r.UUID) != deposit || r.Success == nil || !*r.Success || r.Reason != nil {
		t.Fatalf("deposit = %+v", r)
	}
	tx1 := next[txResult](t, stream, "stream_transactions")
	want1 := txResult{ID: tx1.ID, IBAN: iban, NewBalance: "€10,00", ChangedBy: "€10,00", FromTo: "cash", Descr: "first deposit", Direction: "CREDIT"}
	if tx1 != want1 {
		t.Errorf("stream: %+v, want %+v", tx1, want1)
	}

	// Transfer €2,50 to the bank: a debit here (and a credit there, not streamed here).
	pay := uuid.NewString()
	_, events = subscribe(t, conn, qTransfer, map[string]any{"uuid": pay, "token": token, "amount": 250,
		"from": iban, "to": ident.OwnIBAN, "descr": "pizza"})
	cmd = command[*records.ConfirmMoneyTransfer](t, h)
	if cmd.Token != token || cmd.Amount != 250 {
		t.Fatalf("command %+v", cmd)
	}
	h.balanceChanged(t, cmd.ID, &records.BalanceChanged{IBAN: iban, NewBalance: 750, ChangedBy: -250, FromTo: ident.OwnIBAN, Description: "pizza"})
	h.balanceChanged(t, cmd.ID, &records.BalanceChanged{IBAN: ident.OwnIBAN, NewBalance: 100000000000000250, ChangedBy: 250, FromTo: iban, Description: "pizza"})
	h.send(t, cmd.ID, topology.TopicMoneyTransferFeedback, "", &records.MoneyTransferConfirmed{ID: cmd.ID})
	if r := next[transferResult](t, events, "money_transfer"); r.Success == nil || !*r.Success {
		t.Fatalf("transfer = %+v", r)
	}
	tx2 := next[txResult](t, stream, "stream_transactions")
	if tx2.NewBalance != "€7,50" || tx2.ChangedBy != "€2,50" || tx2.Direction != "DEBIT" || tx2.FromTo != ident.OwnIBAN || tx2.ID <= tx1.ID {
		t.Errorf("stream: %+v", tx2)
	}

	// A redelivered BalanceChanged is neither stored nor streamed again.
	h.balanceChanged(t, cmd.ID, &records.BalanceChanged{IBAN: iban, NewBalance: 750, ChangedBy: -250, FromTo: ident.OwnIBAN, Description: "pizza"})

	// The same uuid again: the known result, no second command.
	_, events = subscribe(t, conn, qTransfer, map[string]any{"uuid": pay, "token": token, "amount": 250,
		"from": iban, "to": ident.OwnIBAN, "descr": "pizza"})
	if r := next[transferResult](t, events, "money_transfer"); r.Success == nil || !*r.Success || str(r.UUID) != pay {
		t.Fatalf("repeated transfer = %+v", r)
	}

	// A failing transfer: the reason passes through, and a repeat gets it too.
	broke := uuid.NewString()
	_, events = subscribe(t, conn, qTransfer, map[string]any{"uuid": broke, "token": token, "amount": 100000,
		"from": iban, "to": "shop", "descr": "too much"})
	cmd = command[*records.ConfirmMoneyTransfer](t, h)
	h.send(t, cmd.ID, topology.TopicMoneyTransferFeedback, "", &records.MoneyTransferFailed{ID: cmd.ID, Reason: "insufficient funds"})
	if r := next[transferResult](t, events, "money_transfer"); r.Success == nil || *r.Success || str(r.Reason) != "insufficient funds" {
		t.Fatalf("failing transfer = %+v", r)
	}
	tokensSealedAndErased(t, user, token, pay, broke)
	_, events = subscribe(t, conn, qTransfer, map[string]any{"uuid": broke, "token": token, "amount": 100000,
		"from": iban, "to": "shop", "descr": "too much"})
	if r := next[transferResult](t, events, "money_transfer"); r.Success == nil || *r.Success || str(r.Reason) != "insufficient funds" {
		t.Fatalf("repeated failing transfer = %+v", r)
	}

	// The queries show what the stream showed, newest first.
	resp := gw.query(t, `query($iban: String!) { transactions_by_iban(iban: $iban, max_items: 10) { id new_balance changed_by direction descr } }`,
		map[string]any{"iban": iban})
	if len(resp.Errors) > 0 {
		t.Fatal(resp.Errors)
	}
	var list []txResult
	mustJSON(t, resp.Data["transactions_by_iban"], &list)
	if len(list) != 2 || list[0].ID != tx2.ID || list[1].ID != tx1.ID || list[0].NewBalance != "€7,50" {
		t.Errorf("transactions_by_iban = %+v", list)
	}
	resp = gw.query(t, `query($id: Int!) { transaction_by_id(id: $id) { id iban changed_by direction } }`, map[string]any{"id": tx1.ID})
	var one txResult
	mustJSON(t, resp.Data["transaction_by_id"], &one)
	if one.ID != tx1.ID || one.IBAN != iban || one.ChangedBy != "€10,00" || one.Direction != "CREDIT" {
		t.Errorf("transaction_by_id = %+v", one)
	}
	resp = gw.query(t, `{ all_last_transactions { id iban } }`, nil)
	var last []txResult
	mustJSON(t, resp.Data["all_last_transactions"], &last)
	found := false
	for _, l := range last {
		if l.IBAN == iban {
			found = l.ID == tx2.ID
		}
	}
	if !found {
		t.Errorf("all_last_transactions lacks %s's last transaction %d", iban, tx2.ID)
	}

	// Nothing more reached the stream: not the redelivery, not the bank's credit.
	select {
	case e := <-stream:
		t.Errorf("unexpected stream event %+v %s", e, e.Data)
	case <-time.After(500 * time.Millisecond):
	}
	for _, id := range []string{deposit, pay, broke} {
		if n := h.commandsWithID(uuid.MustParse(id)); n != 1 {
			t.Errorf("transfer %s was sent %d times", id, n)
		}
	}
}

// TestAccountCreationFailure: a failed creation answers the reason and removes
// the account, so the username can be used again (with another password).
func TestAccountCreationFailure(t *testing.T) {
	gw := startGateway(t)
	h := newHandlerPart(t)
	conn := gw.dial(t, "/graphql-ws", gqlws.TransportWS)
	user := fmt.Sprintf("unlucky-%d", time.Now().UnixNano())

	_, events := subscribe(t, conn, qGetAccount, map[string]any{"u": user, "p": "first-password"})
	create := command[*records.ConfirmAccountCreation](t, h)
	h.send(t, create.ID, topology.TopicAccountCreationFeedback, "",
		&records.AccountCreationFailed{ID: create.ID, Reason: "generated iban already exists, try again"})
	if r := next[accountResult](t, events, "get_account"); str(r.Reason) != "generated iban already exists, try again" || r.IBAN != nil {
		t.Fatalf("failed creation = %s %s", str(r.IBAN), str(r.Reason))
	}

	_, events = subscribe(t, conn, qGetAccount, map[string]any{"u": user, "p": "second-password"})
	create2 := command[*records.ConfirmAccountCreation](t, h)
	if create2.ID == create.ID {
		t.Fatal("the same creation command was sent again")
	}
	iban, _ := ident.NewIBAN()
	h.send(t, create2.ID, topology.TopicAccountCreationFeedback, "",
		&records.AccountCreationConfirmed{ID: create2.ID, IBAN: iban, Token: "12345678901234567890", AType: records.AtypeManual})
	if r := next[accountResult](t, events, "get_account"); str(r.IBAN) != iban {
		t.Fatalf("second creation = %s %s", str(r.IBAN), str(r.Reason))
	}

	// The mutations: login never opens an account; open_account never logs in,
	// and answers a username that exists without checking the password.
	const login = `mutation($u: String!, $p: String!) { login(username: $u, password: $p) { iban token reason } }`
	const open = `mutation($u: String!, $p: String!) { open_account(username: $u, password: $p) { iban token reason } }`
	var r accountResult
	mustJSON(t, gw.query(t, login, map[string]any{"u": user, "p": "second-password"}).Data["login"], &r)
	if str(r.IBAN) != iban || str(r.Token) != "12345678901234567890" {
		t.Errorf("login mutation: %s %s %s", str(r.IBAN), str(r.Token), str(r.Reason))
	}
	for _, p := range []string{"first-password", "second-password"} {
		mustJSON(t, gw.query(t, open, map[string]any{"u": user, "p": p}).Data["open_account"], &r)
		if str(r.Reason) != "username taken" || r.IBAN != nil {
			t.Errorf("open_account of a taken username with %s: %s %s", p, str(r.IBAN), str(r.Reason))
		}
	}
	mustJSON(t, gw.query(t, login, map[string]any{"u": user + "-nobody", "p": "x"}).Data["login"], &r)
	// The same answer as a wrong password: login does not tell which usernames exist.
	if str(r.Reason) != "incorrect username or password" || r.IBAN != nil {
		t.Errorf("login of an unknown user: %s %s", str(r.IBAN), str(r.Reason))
	}

	// A clean stop on SIGTERM, with a subscription open.
	subscribe(t, conn, qStream, nil)
	if err := gw.Stop(10 * time.Second); err != nil {
		t.Errorf("stop: %v\n%s", err, gw.Output())
	}
	select {
	case <-conn.Done():
	case <-time.After(5 * time.Second):
		t.Error("the WebSocket stayed open after the gateway stopped")
	}
}

// TestRepeatedUUIDWhilePending: a repeat arriving before the answer waits for
// it (on another connection) instead of sending the command again.
func TestRepeatedUUIDWhilePending(t *testing.T) {
	gw := startGateway(t)
	h := newHandlerPart(t)
	first := gw.dial(t, "/graphql-ws", gqlws.TransportWS)
	second := gw.dial(t, "/graphql", gqlws.LegacyWS)
	id := uuid.NewString()
	vars := map[string]any{"uuid": id, "token": "cash", "amount": 500, "from": "cash", "to": "NL66OPEN0000000000", "descr": "twice"}
	_, a := subscribe(t, first, qTransfer, vars)
	cmd := command[*records.ConfirmMoneyTransfer](t, h)
	_, b := subscribe(t, second, qTransfer, vars)
	time.Sleep(300 * time.Millisecond) // let the repeat reach the gateway before the answer
	h.send(t, cmd.ID, topology.TopicMoneyTransferFeedback, "", &records.MoneyTransferConfirmed{ID: cmd.ID})
	for _, events := range []<-chan gqlws.Event{a, b} {
		if r := next[transferResult](t, events, "money_transfer"); r.Success == nil || !*r.Success || str(r.UUID) != id {
			t.Errorf("result %+v", r)
		}
	}
	if n := h.commandsWithID(uuid.MustParse(id)); n != 1 {
		t.Errorf("sent %d times", n)
	}
}

// TestArgumentErrors: bad arguments are GraphQL errors, and nothing is produced.
func TestArgumentErrors(t *testing.T) {
	gw := startGateway(t)
	h := newHandlerPart(t)
	conn := gw.dial(t, "/graphql-ws", gqlws.TransportWS)
	_, events := subscribe(t, conn, qTransfer, map[string]any{"uuid": "nope", "token": "", "amount": 0,
		"from": "cash", "to": "x", "descr": "d"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e, err := gqlws.First(ctx, events)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, ge := range e.Errors {
		msgs = append(msgs, ge.Message)
	}
	joined := strings.Join(msgs, " | ")
	for _, want := range []string{"uuid:", "amount:", "token:"} {
		if !strings.Contains(joined, want) {
			t.Errorf("errors %q lack %q", joined, want)
		}
	}
	resp := gw.query(t, `{ transactions_by_iban(iban: "NL66OPEN0000000000", max_items: 1001) { id } }`, nil)
	if len(resp.Errors) != 1 || !strings.Contains(resp.Errors[0].Message, "max_items") {
		t.Errorf("max_items 1001: %+v", resp.Errors)
	}
	time.Sleep(500 * time.Millisecond)
	if n := len(h.tail.All(func(messaging.Delivery) bool { return true })); n != 0 {
		t.Errorf("%d commands produced for invalid requests", n)
	}
}

// TestNoAnswer: without the command handler's feedback the answer is a clear
// reason after FEEDBACK_TIMEOUT_MS; the username is free again, and a repeated
// transfer uuid, its first wait over, sends the stored command again.
func TestNoAnswer(t *testing.T) {
	gw := startGateway(t, "FEEDBACK_TIMEOUT_MS=1000")
	h := newHandlerPart(t)
	conn := gw.dial(t, "/graphql-ws", gqlws.TransportWS)
	user := fmt.Sprintf("patient-%d", time.Now().UnixNano())
	const noAnswer = "no answer from the command handler in time, try again"

	_, events := subscribe(t, conn, qGetAccount, map[string]any{"u": user, "p": "password"})
	first := command[*records.ConfirmAccountCreation](t, h)
	if r := next[accountResult](t, events, "get_account"); str(r.Reason) != noAnswer {
		t.Fatalf("get_account without feedback: %s %s", str(r.IBAN), str(r.Reason))
	}
	_, events = subscribe(t, conn, qGetAccount, map[string]any{"u": user, "p": "other-password"})
	if second := command[*records.ConfirmAccountCreation](t, h); second.ID == first.ID {
		t.Error("no new creation command after the time-out")
	}
	next[accountResult](t, events, "get_account")

	id := uuid.NewString()
	vars := map[string]any{"uuid": id, "token": "cash", "amount": 100, "from": "cash", "to": "NL66OPEN0000000000", "descr": "lost"}
	for range 2 {
		_, events = subscribe(t, conn, qTransfer, vars)
		if r := next[transferResult](t, events, "money_transfer"); str(r.Reason) != noAnswer || r.Success == nil || *r.Success {
			t.Fatalf("transfer without feedback: %+v %s", r, str(r.Reason))
		}
	}
	if n := h.commandsWithID(uuid.MustParse(id)); n != 2 {
		t.Errorf("sent %d times, want 2 (once per try, each after the last one's wait)", n)
	}
}

// tokensSealedAndErased: transactiondb keeps the account's token sealed, never
// in clear, and the answered transfers' tokens not at all.
func tokensSealedAndErased(t *testing.T, user, token string, answered ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://graphql_endpoint:%s@%s/transactiondb?sslmode=disable",
		os.Getenv("DB_PASSWORD"), net.JoinHostPort(os.Getenv("DB_HOSTNAME"), os.Getenv("DB_PORT"))))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var sealed []byte
	if err := conn.QueryRow(ctx, `SELECT token_sealed FROM accounts WHERE username = $1`, user).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if len(sealed) == 0 || bytes.Contains(sealed, []byte(token)) {
		t.Errorf("account %s keeps %x for its token", user, sealed)
	}
	var kept int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM transfer_results WHERE id = ANY($1::uuid[]) AND token_sealed IS NOT NULL`,
		answered).Scan(&kept); err != nil || kept != 0 {
		t.Errorf("%d answered transfers keep a token (%v)", kept, err)
	}
	var clear int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM transfer_results t WHERE strpos(t::text, $1) > 0`, token).Scan(&clear); err != nil || clear != 0 {
		t.Errorf("%d transfers show the token (%v)", clear, err)
	}
}
