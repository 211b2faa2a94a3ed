//go:build integration

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"openbank/messaging"
	"openbank/messaging/messagingtest"
	"openbank/services/command-handler/internal/app/commands"
	"openbank/topology"
	"openbank/topology/ident"
	"openbank/topology/records"
	"openbank/topology/serde"
)

const external = "NL91ABNA0417164300" // another bank's iban

func TestCommandsEndToEnd(t *testing.T) {
	startHandler(t)
	b := newBank(t)
	conn := db(t)

	alice, aliceToken := b.openAccount()
	bob, bobToken := b.openAccount()
	keyed := stackKeyed(t)
	for iban, token := range map[string]string{alice: aliceToken, bob: bobToken} {
		var hash []byte
		var aType string
		var amount, lmt int64
		if err := conn.QueryRow(context.Background(), `SELECT token_hash, amount, lmt, a_type FROM balance WHERE iban = $1`, iban).
			Scan(&hash, &amount, &lmt, &aType); err != nil {
			t.Fatal(err)
		}
		// Only the token's keyed hash is kept, and nothing of it with the commands.
		if !ident.ValidIBAN(iban) || len(token) != 20 || !bytes.Equal(hash, keyed.Hash(token)) || amount != 0 || lmt != -50_000 || aType != records.AtypeManual {
			t.Fatalf("new account %s: token %q hash %x amount %d limit %d type %s", iban, token, hash, amount, lmt, aType)
		}
		var n int
		if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM command c WHERE strpos(c::text, $1) > 0`, token).Scan(&n); err != nil || n != 0 {
			t.Fatalf("token of %s found in %d stored commands (%v)", iban, n, err)
		}
	}
	unknown := ident.IBANFor("9999999999")
	if _, err := conn.Exec(context.Background(), `DELETE FROM balance WHERE iban = $1`, unknown); err != nil {
		t.Fatal(err)
	}

	type change struct {
		iban       string
		changedBy  int64
		fromTo     string
		newBalance int64 // checked unless the account is the bank's own
	}
	steps := []struct {
		name    string
		token   string
		amount  int64
		from    string
		to      string
		reason  string
		changes []change
	}{
		{"deposit", "cash", 10_000, "cash", alice, "", []change{{alice, 10_000, "cash", 10_000}}},
		{"transfer", aliceToken, 2_500, alice, bob, "", []change{{alice, -2_500, bob, 7_500}, {bob, 2_500, alice, 2_500}}},
		{"withdrawal", bobToken, 500, bob, "cash", "", []change{{bob, -500, "cash", 2_000}}},
		{"payment to another bank", aliceToken, 1_000, alice, external, "", []change{{alice, -1_000, external, 6_500}}},
		{"the bank's own account with the token the source once fixed", "00000000000000000000", 100, ident.OwnIBAN, alice, "invalid token", nil},
		{"from the bank's own account", os.Getenv("BANK_TOKEN"), 100, ident.OwnIBAN, alice, "", []change{{ident.OwnIBAN, -100, alice, 0}, {alice, 100, ident.OwnIBAN, 6_600}}},
		{"to the bank's own account", aliceToken, 600, alice, ident.OwnIBAN, "", []change{{alice, -600, ident.OwnIBAN, 6_000}, {ident.OwnIBAN, 600, alice, 0}}},
		{"invalid token", bobToken, 1, alice, bob, "invalid token", nil},
		{"one cent past the limit", aliceToken, 56_001, alice, bob, "insufficient funds", nil},
		{"limit exactly reached", aliceToken, 56_000, alice, bob, "", []change{{alice, -56_000, bob, -50_000}, {bob, 56_000, alice, 58_000}}},
		{"at the limit", aliceToken, 1, alice, "cash", "insufficient funds", nil},
		{"unknown iban of this bank", "whatever", 1, unknown, bob, "from is invalid", nil},
		{"garbage from", "whatever", 1, "piggy bank", bob, "from is invalid", nil},
		{"same from and to", bobToken, 1, bob, bob, "from and to can't be same for transfer", nil},
		{"zero amount", bobToken, 0, bob, alice, "invalid amount", nil},
		{"negative amount", bobToken, -1_000, bob, alice, "invalid amount", nil},
		{"deposit to nobody", "cash", 1_000, "cash", external, "both to and from not known at this bank", nil},
		{"deposit to an unknown iban of this bank", "cash", 1_000, "cash", unknown, "both to and from not known at this bank", nil},
	}
	ids := make([]uuid.UUID, len(steps))
	for i, s := range steps {
		id, reason := b.transfer(s.token, s.amount, s.from, s.to)
		ids[i] = id
		if reason != s.reason {
			t.Fatalf("%s: reason %q, want %q", s.name, reason, s.reason)
		}
		for _, c := range s.changes {
			d := b.tail.WaitFor(t, 30*time.Second, func(d messaging.Delivery) bool {
				return d.Topic == topology.TopicBalanceChanged && d.Header(topology.HeaderCommandID) == id.String() &&
					d.Record.(*records.BalanceChanged).IBAN == c.iban
			})
			bc := d.Record.(*records.BalanceChanged)
			if string(d.Key) != c.iban || bc.ChangedBy != c.changedBy || bc.FromTo != c.fromTo || bc.Description != "test" ||
				(c.iban != ident.OwnIBAN && bc.NewBalance != c.newBalance) {
				t.Fatalf("%s: BalanceChanged %+v (key %s), want %+v", s.name, bc, d.Key, c)
			}
		}
	}
	if got := balance(t, conn, alice); got != -50_000 {
		t.Errorf("alice's balance %d, want -50000", got)
	}
	if got := balance(t, conn, bob); got != 58_000 {
		t.Errorf("bob's balance %d, want 58000", got)
	}
	// Every event has arrived by now; failed commands changed nothing.
	time.Sleep(500 * time.Millisecond)
	for i, s := range steps {
		if got := b.changes(ids[i]); len(got) != len(s.changes) {
			t.Errorf("%s: %d BalanceChanged events, want %d: %+v", s.name, len(got), len(s.changes), got)
		}
	}
}

func TestSameCommandTwice(t *testing.T) {
	startHandler(t)
	b := newBank(t)
	conn := db(t)

	// An account creation retried gives the same account.
	id := uuid.New()
	create := commandMessage(id, &records.ConfirmAccountCreation{ID: id, AType: records.AtypeAuto})
	b.send(create)
	first := b.feedback(id)
	b.send(create)
	b.tail.WaitFor(t, 30*time.Second, func(d messaging.Delivery) bool {
		return len(b.feedbacks(id)) == 2
	})
	fbs := b.feedbacks(id)
	if !reflect.DeepEqual(fbs[0], fbs[1]) {
		t.Fatalf("feedbacks differ: %+v %+v", fbs[0], fbs[1])
	}
	iban := first.(*records.AccountCreationConfirmed).IBAN
	var accounts int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM balance WHERE iban = $1`, iban).Scan(&accounts); err != nil || accounts != 1 {
		t.Fatalf("%d accounts %s (%v)", accounts, iban, err)
	}

	// A deposit retried later, and one sent twice at once, change the balance once.
	later, atOnce, failed := uuid.New(), uuid.New(), uuid.New()
	b.send(transferCommand(later, "cash", 700, "cash", iban, "once"))
	b.feedback(later)
	b.send(transferCommand(later, "cash", 700, "cash", iban, "once"))
	b.send(transferCommand(atOnce, "cash", 300, "cash", iban, "once"), transferCommand(atOnce, "cash", 300, "cash", iban, "once"))
	b.send(transferCommand(failed, "wrong", 5, iban, "cash", "nope"))
	b.feedback(failed)
	b.send(transferCommand(failed, "wrong", 5, iban, "cash", "nope"))
	for _, id := range []uuid.UUID{later, atOnce, failed} {
		b.tail.WaitFor(t, 30*time.Second, func(messaging.Delivery) bool { return len(b.feedbacks(id)) >= 2 })
	}
	time.Sleep(500 * time.Millisecond) // let any stray event arrive
	for _, id := range []uuid.UUID{later, atOnce, failed} {
		fbs := b.feedbacks(id)
		if len(fbs) != 2 || !reflect.DeepEqual(fbs[0], fbs[1]) {
			t.Errorf("command %s: feedbacks %+v, want two identical", id, fbs)
		}
	}
	if fb, ok := b.feedbacks(failed)[0].(*records.MoneyTransferFailed); !ok || fb.Reason != "invalid token" {
		t.Errorf("retried failure answered %+v", b.feedbacks(failed)[0])
	}
	for id, want := range map[uuid.UUID]int{later: 1, atOnce: 1, failed: 0} {
		all := b.tail.All(func(d messaging.Delivery) bool {
			return d.Topic == topology.TopicBalanceChanged && d.Header(topology.HeaderCommandID) == id.String()
		})
		if len(all) != want {
			t.Errorf("command %s: %d BalanceChanged events, want %d", id, len(all), want)
		}
	}
	if got := balance(t, conn, iban); got != 1_000 {
		t.Errorf("balance %d, want 1000", got)
	}
}

func TestPoisonRecordsGoToTheDeadLetterTopic(t *testing.T) {
	startHandler(t)
	b := newBank(t, topology.TopicCommandsDeadLetter)
	ctx := context.Background()

	// A BalanceChanged in the wire format: decodable, but no command.
	serde := serde.NewSerde(serde.NewRegistry(messagingtest.Kafka(t).Registry()))
	wrongType, err := serde.Encode(topology.TopicBalanceChanged, &records.BalanceChanged{IBAN: ident.OwnIBAN, Description: "not a command"})
	if err != nil {
		t.Fatal(err)
	}
	unknownSchema := []byte{0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(unknownSchema[1:], 987_654)
	unknownSchema = append(unknownSchema, 2, 4, 6)
	validID := uuid.New()
	valid, err := serde.Encode(topology.TopicCommands, &records.ConfirmMoneyTransfer{ID: validID, Amount: 1, From: "cash", To: ident.OwnIBAN})
	if err != nil {
		t.Fatal(err)
	}
	nulID := uuid.New()
	withNUL, err := serde.Encode(topology.TopicCommands, &records.ConfirmMoneyTransfer{ID: nulID, Amount: 1, From: "cash", To: ident.OwnIBAN, Description: "a\x00b"})
	if err != nil {
		t.Fatal(err)
	}
	marker := uuid.NewString()
	poison := []struct {
		name  string
		key   string
		value []byte
	}{
		{"garbage", uuid.NewString(), []byte("hello, bank")},
		{"empty", uuid.NewString(), nil},
		{"unknown schema id", uuid.NewString(), unknownSchema},
		{"record type of another topic", uuid.NewString(), wrongType},
		{"key that is no UUID", "not-a-uuid", valid},
		{"key that is another command's id", uuid.NewString(), valid},
		{"text PostgreSQL cannot store", nulID.String(), withNUL},
	}
	var raw []messaging.RawMessage
	for i, p := range poison {
		raw = append(raw, messaging.RawMessage{
			Topic: topology.TopicCommands, Key: []byte(p.key), Value: p.value,
			Headers: []messaging.Header{{Key: "test-marker", Value: []byte(marker)}, {Key: "poison", Value: []byte(strconv.Itoa(i))}},
		})
	}
	if err := b.p.SendRaw(ctx, raw...); err != nil {
		t.Fatal(err)
	}
	// Commands after the poison are handled.
	_, reason := b.transfer("cash", 1_000, "cash", ident.OwnIBAN)
	if reason != "" {
		t.Fatalf("deposit after poison: %q", reason)
	}
	for i, p := range poison {
		d := b.tail.WaitFor(t, 30*time.Second, func(d messaging.Delivery) bool {
			return d.Topic == topology.TopicCommandsDeadLetter && d.Header("test-marker") == marker && d.Header("poison") == strconv.Itoa(i)
		})
		if string(d.Key) != p.key || string(d.Value) != string(p.value) {
			t.Errorf("%s: dead letter key %q value %q, want %q %q", p.name, d.Key, d.Value, p.key, p.value)
		}
		if d.Header(messaging.HeaderDeadLetterTopic) != topology.TopicCommands || d.Header(messaging.HeaderDeadLetterOffset) == "" ||
			d.Header(messaging.HeaderDeadLetterPartition) == "" || d.Header(messaging.HeaderDeadLetterError) == "" {
			t.Errorf("%s: dead letter headers %v", p.name, d.Headers)
		}
		t.Logf("%s: %s", p.name, d.Header(messaging.HeaderDeadLetterError))
	}
	if got := b.feedbacks(validID); len(got) != 0 {
		t.Errorf("a dead-lettered command whose key is another id was answered: %+v", got)
	}
	// The command dead-lettered for its text has a readable id: its sender
	// gets a definite answer instead of waiting for ever.
	d := b.tail.WaitFor(t, 30*time.Second, func(d messaging.Delivery) bool {
		return isFeedback(d) && d.Header(topology.HeaderCommandID) == nulID.String()
	})
	if f, ok := d.Record.(*records.MoneyTransferFailed); !ok || f.Reason != commands.ReasonInvalidCommand || f.ID != [16]byte(nulID) {
		t.Errorf("answer to the command with a NUL: %+v", d.Record)
	}
}

// metricSum adds up every sample of a counter on the handler's /metrics.
func metricSum(t *testing.T, port int, name string) float64 {
	t.Helper()
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			sum += v
		}
	}
	return sum
}
