//go:build integration

package main

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"openbank/kit/gqlws"
	"openbank/messaging/messagingtest"
	"openbank/topology"
)

// TestWithRealCommandHandler runs the command handler's binary beside the
// gateway: the page's whole flow, end to end, over both sub-protocols.
func TestWithRealCommandHandler(t *testing.T) {
	handlerBin := messagingtest.Build(t, "../command-handler")
	group := fmt.Sprintf("command-handler-gw-e2e-%d", time.Now().UnixNano()) // the principal's prefix: its groups
	messagingtest.StartGroupAtEnd(t, group, topology.TopicCommands)
	hport := messagingtest.FreePort(t)
	handler := messagingtest.Start(t, handlerBin, "KAFKA_GROUP_ID="+group, "HTTP_PORT="+strconv.Itoa(hport))
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", hport))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) || !handler.Running() {
			t.Fatalf("command handler not ready: %v\n%s", err, handler.Output())
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("command handler said:\n%s", handler.Output())
		}
	})
	gw := startGateway(t)

	modern := gw.dial(t, "/graphql-ws", gqlws.TransportWS)
	legacy := gw.dial(t, "/graphql", gqlws.LegacyWS)
	user := fmt.Sprintf("alice-%d", time.Now().UnixNano())

	_, events := subscribe(t, modern, qGetAccount, map[string]any{"u": user, "p": "correct horse"})
	acc := next[accountResult](t, events, "get_account")
	if acc.IBAN == nil || acc.Token == nil || acc.Reason != nil || len(*acc.IBAN) != 18 || len(*acc.Token) != 20 {
		t.Fatalf("get_account = %s %s %s", str(acc.IBAN), str(acc.Token), str(acc.Reason))
	}
	iban, token := *acc.IBAN, *acc.Token
	_, events = subscribe(t, legacy, qGetAccount, map[string]any{"u": user, "p": "wrong horse"})
	if r := next[accountResult](t, events, "get_account"); str(r.Reason) != "incorrect password" {
		t.Errorf("wrong password: %s", str(r.Reason))
	}
	_, events = subscribe(t, legacy, qGetAccount, map[string]any{"u": user, "p": "correct horse"})
	if r := next[accountResult](t, events, "get_account"); str(r.IBAN) != iban || str(r.Token) != token {
		t.Errorf("login: %s %s", str(r.IBAN), str(r.Token))
	}

	_, modernStream := subscribe(t, modern, qStream, map[string]any{"iban": iban})
	_, legacyStream := subscribe(t, legacy, qStream, map[string]any{"iban": iban})
	time.Sleep(200 * time.Millisecond)

	transfer := func(conn *gqlws.Conn, from, tok string, amount int, to, descr string) transferResult {
		_, events := subscribe(t, conn, qTransfer, map[string]any{"uuid": uuid.NewString(), "token": tok, "amount": amount,
			"from": from, "to": to, "descr": descr})
		return next[transferResult](t, events, "money_transfer")
	}
	expect := func(want txResult) {
		t.Helper()
		for name, s := range map[string]<-chan gqlws.Event{"graphql-transport-ws": modernStream, "graphql-ws": legacyStream} {
			got := next[txResult](t, s, "stream_transactions")
			want.ID = got.ID
			if got != want {
				t.Errorf("%s stream: %+v, want %+v", name, got, want)
			}
		}
	}

	if r := transfer(modern, "cash", "cash", 10000, iban, "salary"); r.Success == nil || !*r.Success {
		t.Fatalf("deposit: %+v %s", r, str(r.Reason))
	}
	expect(txResult{IBAN: iban, NewBalance: "€100,00", ChangedBy: "€100,00", FromTo: "cash", Descr: "salary", Direction: "CREDIT"})

	if r := transfer(legacy, iban, token, 2550, "NL66OPEN0000000000", "rent"); r.Success == nil || !*r.Success {
		t.Fatalf("transfer: %+v %s", r, str(r.Reason))
	}
	expect(txResult{IBAN: iban, NewBalance: "€74,50", ChangedBy: "€25,50", FromTo: "NL66OPEN0000000000", Descr: "rent", Direction: "DEBIT"})

	if r := transfer(modern, iban, "00000000000000000001", 100, "shop", "wrong token"); r.Success == nil || *r.Success || str(r.Reason) != "invalid token" {
		t.Errorf("wrong token: %+v %s", r, str(r.Reason))
	}
	if r := transfer(modern, iban, token, 1_000_000, "shop", "too much"); r.Success == nil || *r.Success || str(r.Reason) != "insufficient funds" {
		t.Errorf("too much: %+v %s", r, str(r.Reason))
	}
	resp := gw.query(t, `query($iban: String!) { transactions_by_iban(iban: $iban, max_items: 5) { new_balance direction } }`,
		map[string]any{"iban": iban})
	var list []txResult
	mustJSON(t, resp.Data["transactions_by_iban"], &list)
	if len(list) != 2 || list[0].NewBalance != "€74,50" || list[1].NewBalance != "€100,00" {
		t.Errorf("transactions_by_iban: %+v", list)
	}
}
