//go:build integration

package main

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"openbank/kit/gqlws"
	"openbank/topology"
	"openbank/topology/ident"
	"openbank/topology/records"
)

// TestTwoInstances runs two gateways on the same topics and database: every
// subscriber of either gets every event once, each change is stored once, and
// a uuid answered through one instance is known to the other.
func TestTwoInstances(t *testing.T) {
	a, b := startGateway(t), startGateway(t)
	h := newHandlerPart(t)
	iban, _ := ident.NewIBAN()

	var streams []<-chan gqlws.Event
	for _, gw := range []*gatewayProc{a, b} {
		for _, p := range []string{gqlws.TransportWS, gqlws.LegacyWS} {
			_, s := subscribe(t, gw.dial(t, "/graphql-ws", p), qStream, map[string]any{"iban": iban})
			streams = append(streams, s)
		}
	}
	time.Sleep(200 * time.Millisecond) // the subscriptions reach the gateways

	const n = 20
	for i := range n {
		id := ident.Fixed(ident.NewCommandID())
		bc := &records.BalanceChanged{IBAN: iban, NewBalance: int64(i+1) * 100, ChangedBy: 100, FromTo: "cash", Description: fmt.Sprint("deposit ", i)}
		h.balanceChanged(t, id, bc)
		if i%5 == 0 {
			h.balanceChanged(t, id, bc) // redelivered
		}
	}
	var first []int64
	for si, s := range streams {
		var ids []int64
		for i := range n {
			tx := next[txResult](t, s, "stream_transactions")
			if want := fmt.Sprintf("deposit %d", i); tx.Descr != want {
				t.Fatalf("stream %d event %d: %q, want %q", si, i, tx.Descr, want)
			}
			ids = append(ids, tx.ID)
		}
		select {
		case e := <-s:
			t.Errorf("stream %d: extra event %s", si, e.Data)
		case <-time.After(300 * time.Millisecond):
		}
		if si == 0 {
			first = ids
		} else if fmt.Sprint(ids) != fmt.Sprint(first) {
			t.Errorf("stream %d saw rows %v, stream 0 saw %v", si, ids, first)
		}
	}
	resp := a.query(t, `query($iban: String!) { transactions_by_iban(iban: $iban, max_items: 100) { id } }`, map[string]any{"iban": iban})
	var rows []txResult
	mustJSON(t, resp.Data["transactions_by_iban"], &rows)
	if len(rows) != n {
		t.Errorf("%d rows stored for %d changes", len(rows), n)
	}

	// Answered through a; repeated on b: known, not sent again.
	id := uuid.NewString()
	vars := map[string]any{"uuid": id, "token": "cash", "amount": 100, "from": "cash", "to": iban, "descr": "once"}
	_, events := subscribe(t, a.dial(t, "/graphql-ws", gqlws.TransportWS), qTransfer, vars)
	cmd := command[*records.ConfirmMoneyTransfer](t, h)
	h.send(t, cmd.ID, topology.TopicMoneyTransferFeedback, "", &records.MoneyTransferFailed{ID: cmd.ID, Reason: "invalid token"})
	if r := next[transferResult](t, events, "money_transfer"); str(r.Reason) != "invalid token" {
		t.Fatalf("on a: %+v", r)
	}
	_, events = subscribe(t, b.dial(t, "/graphql", gqlws.LegacyWS), qTransfer, vars)
	if r := next[transferResult](t, events, "money_transfer"); str(r.Reason) != "invalid token" || r.Success == nil || *r.Success {
		t.Fatalf("repeat on b: %+v", r)
	}
	if n := h.commandsWithID(uuid.MustParse(id)); n != 1 {
		t.Errorf("sent %d times", n)
	}
}

// TestNewInstanceStartsWhereTheDatabaseIs: a gateway with a new consumer
// group starts at transactiondb's progress, not at the topic's beginning, and
// still stores what was produced while no gateway ran.
func TestNewInstanceStartsWhereTheDatabaseIs(t *testing.T) {
	h := newHandlerPart(t)
	first := startGatewayIn(t, false)
	iban1, _ := ident.NewIBAN()
	h.balanceChanged(t, ident.Fixed(ident.NewCommandID()), &records.BalanceChanged{IBAN: iban1, NewBalance: 100, ChangedBy: 100, FromTo: "cash", Description: "before"})
	waitForRows(t, first, iban1, 1)
	if err := first.Stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}

	// Produced while no gateway runs.
	iban2, _ := ident.NewIBAN()
	h.balanceChanged(t, ident.Fixed(ident.NewCommandID()), &records.BalanceChanged{IBAN: iban2, NewBalance: 200, ChangedBy: 200, FromTo: "cash", Description: "meanwhile"})

	second := startGatewayIn(t, false)
	waitForRows(t, second, iban2, 1)
	// The second instance did not work through the topic's history again.
	if n := metric(t, second, "graphql_transactions_store_batch_seconds_count"); n > 50 {
		t.Errorf("the new instance stored %v batches: it replayed history", n)
	}
}

func waitForRows(t *testing.T, gw *gatewayProc, iban string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp := gw.query(t, `query($iban: String!) { transactions_by_iban(iban: $iban, max_items: 10) { id } }`, map[string]any{"iban": iban})
		var rows []txResult
		mustJSON(t, resp.Data["transactions_by_iban"], &rows)
		if len(rows) == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has %d rows, want %d", iban, len(rows), n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// metric reads one value from the gateway's /metrics.
func metric(t *testing.T, gw *gatewayProc, name string) float64 {
	t.Helper()
	resp, err := http.Get(gw.url("/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == name {
			v, _ := strconv.ParseFloat(f[1], 64)
			return v
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
