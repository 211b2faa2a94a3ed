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
	"openbank/messaging/messagingtest"
	"openbank/topology"
	"openbank/topology/ident"
	"openbank/topology/records"
)

// TestThreeInstancesShareTheWork runs three gateways in one pair of groups
// on the same topics and database: each change is offered to transactiondb
// once (by the instance owning its partition) and stored once, every
// subscriber of every instance gets every change once with the same row id,
// answers consumed by another instance still answer the request waiting on
// the first (a token included), and a uuid answered through one instance is
// known to another.
func TestThreeInstancesShareTheWork(t *testing.T) {
	group := fmt.Sprintf("gw-shared-%d", time.Now().UnixNano())
	messagingtest.StartGroupAtEnd(t, group+"-transactions", topology.TopicBalanceChanged)
	messagingtest.StartGroupAtEnd(t, group+"-feedback", topology.TopicAccountCreationFeedback, topology.TopicMoneyTransferFeedback)
	var gws []*gatewayProc
	for range 3 {
		gws = append(gws, startGatewayIn(t, false, "KAFKA_GROUP_ID="+group))
	}
	a := gws[0]
	h := newHandlerPart(t)

	const nIBANs, perIBAN = 4, 5
	var ibans []string
	for range nIBANs {
		iban, _ := ident.NewIBAN()
		ibans = append(ibans, iban)
	}
	type sub struct {
		gw, iban int
		events   <-chan gqlws.Event
	}
	var subs []sub
	for gi, gw := range gws {
		for ii, iban := range ibans {
			_, s := subscribe(t, gw.dial(t, "/graphql-ws", gqlws.TransportWS), qStream, map[string]any{"iban": iban})
			subs = append(subs, sub{gi, ii, s})
		}
	}
	// The group settles before the records come, so no rebalance hands a batch
	// to a second instance: warm-up changes on every partition until each
	// instance has stored some (a member that joined last gets partitions only
	// when its rebalance is over), and until every one is offered.
	offered := func() (n float64) {
		for _, gw := range gws {
			n += metric(t, gw, "graphql_transactions_insert_attempts_total")
		}
		return n
	}
	warm := 0
	for deadline := time.Now().Add(60 * time.Second); ; {
		busy := 0
		for _, gw := range gws {
			if metric(t, gw, "graphql_transactions_insert_attempts_total") > 0 {
				busy++
			}
		}
		if busy == len(gws) && offered() >= float64(warm) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d instances stored warm-up changes, %v of %d offered", busy, len(gws), offered(), warm)
		}
		if busy < len(gws) {
			for range 48 { // over the 24 partitions
				iban, _ := ident.NewIBAN()
				h.balanceChanged(t, ident.Fixed(ident.NewCommandID()), &records.BalanceChanged{IBAN: iban, NewBalance: 1, ChangedBy: 1, FromTo: "cash", Description: "warm-up"})
				warm++
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	before := offered()
	produced := 0
	for i := range perIBAN {
		for ii, iban := range ibans {
			id := ident.Fixed(ident.NewCommandID())
			bc := &records.BalanceChanged{IBAN: iban, NewBalance: int64(i+1) * 100, ChangedBy: 100, FromTo: "cash",
				Description: fmt.Sprintf("deposit %d/%d", ii, i)}
			h.balanceChanged(t, id, bc)
			produced++
			if i == 2 {
				h.balanceChanged(t, id, bc) // redelivered: offered again, not stored again
				produced++
			}
		}
	}
	rowIDs := map[string]int64{}
	for _, s := range subs {
		for i := range perIBAN {
			tx := next[txResult](t, s.events, "stream_transactions")
			want := fmt.Sprintf("deposit %d/%d", s.iban, i)
			if tx.Descr != want {
				t.Fatalf("gateway %d, iban %d, event %d: %q, want %q", s.gw, s.iban, i, tx.Descr, want)
			}
			if id, ok := rowIDs[want]; ok && id != tx.ID {
				t.Errorf("%s streamed as row %d and as row %d", want, id, tx.ID)
			}
			rowIDs[want] = tx.ID
		}
	}
	for _, s := range subs {
		select {
		case e := <-s.events:
			t.Errorf("gateway %d, iban %d: extra event %s", s.gw, s.iban, e.Data)
		case <-time.After(100 * time.Millisecond):
		}
	}
	for _, iban := range ibans {
		waitForRows(t, a, iban, perIBAN)
	}
	// Every record offered once across the three instances: not once per instance.
	if got := offered() - before; got != float64(produced) {
		t.Errorf("the instances offered %v rows for %d records: want each record offered by one instance", got, produced)
	}

	// Accounts opened and transfers sent through a, answered on feedback
	// partitions that the three instances share: every request gets its
	// answer, also those another instance consumed (that instance stores it
	// and notifies a; a's request reads the token from transactiondb).
	storedHop := `bank_hop_seconds_count{hop="gateway_event_stored"}`
	othersBefore := metric(t, gws[1], storedHop) + metric(t, gws[2], storedHop)
	const accounts, transfers = 6, 12
	for i := range accounts {
		user := fmt.Sprintf("shared-%d-%d", time.Now().UnixNano(), i)
		_, events := subscribe(t, a.dial(t, "/graphql-ws", gqlws.TransportWS), qGetAccount, map[string]any{"u": user, "p": "secret-pw"})
		create := command[*records.ConfirmAccountCreation](t, h)
		iban, _ := ident.NewIBAN()
		token, _ := ident.NewToken()
		h.send(t, create.ID, topology.TopicAccountCreationFeedback, "",
			&records.AccountCreationConfirmed{ID: create.ID, IBAN: iban, Token: token, AType: records.AtypeManual})
		if acc := next[accountResult](t, events, "get_account"); str(acc.IBAN) != iban || str(acc.Token) != token {
			t.Fatalf("account %d on a: %s %s %s, want %s %s", i, str(acc.IBAN), str(acc.Token), str(acc.Reason), iban, token)
		}
	}
	for i := range transfers {
		vars := map[string]any{"uuid": uuid.NewString(), "token": "cash", "amount": 100, "from": "cash", "to": ibans[0], "descr": "x"}
		_, events := subscribe(t, a.dial(t, "/graphql-ws", gqlws.TransportWS), qTransfer, vars)
		cmd := command[*records.ConfirmMoneyTransfer](t, h)
		reason := fmt.Sprint("reason ", i)
		h.send(t, cmd.ID, topology.TopicMoneyTransferFeedback, "", &records.MoneyTransferFailed{ID: cmd.ID, Reason: reason})
		if r := next[transferResult](t, events, "money_transfer"); str(r.Reason) != reason {
			t.Fatalf("transfer %d on a: %+v", i, r)
		}
	}
	if n := metric(t, gws[1], storedHop) + metric(t, gws[2], storedHop) - othersBefore; n == 0 {
		t.Errorf("the other instances consumed none of %d answers: the feedback group is not shared", accounts+transfers)
	}

	// Answered through a; repeated on b: known, not sent again.
	b := gws[1]
	id := uuid.NewString()
	vars := map[string]any{"uuid": id, "token": "cash", "amount": 100, "from": "cash", "to": ibans[0], "descr": "once"}
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
