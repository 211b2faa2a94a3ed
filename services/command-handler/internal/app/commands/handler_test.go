package commands

import (
	"errors"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"openbank/messaging"
	"openbank/services/command-handler/internal/domain/ledger"
	"openbank/topology"
	"openbank/topology/records"
)

func TestParse(t *testing.T) {
	id := uuid.MustParse("0f8fad5b-d9cb-469f-a165-70867728950e")
	transfer := &records.ConfirmMoneyTransfer{ID: id, Token: "t", Amount: 5, From: "cash", To: "x", Description: "d"}
	tests := []struct {
		name   string
		key    string
		record records.Record
		err    error
		kind   ledger.Kind
	}{
		{name: "transfer keyed by its id", key: id.String(), record: transfer, kind: ledger.KindMoneyTransfer},
		{name: "account creation keyed by its id", key: id.String(), record: &records.ConfirmAccountCreation{ID: id, AType: "AUTO"}, kind: ledger.KindAccountCreation},
		{name: "no key", record: transfer, kind: ledger.KindMoneyTransfer},
		{name: "key in upper case", key: "0F8FAD5B-D9CB-469F-A165-70867728950E", record: transfer, kind: ledger.KindMoneyTransfer},
		{name: "key is no UUID", key: "0f8fad5b", record: transfer, err: ErrKeyNotUUID},
		{name: "key is another id", key: uuid.NewString(), record: transfer, err: ErrKeyMismatch},
		{name: "record of another topic", key: id.String(), record: &records.BalanceChanged{}, err: ErrNotACommand},
		{name: "NUL in the description", key: id.String(), err: ErrBadText,
			record: &records.ConfirmMoneyTransfer{ID: id, Amount: 1, From: "cash", To: "x", Description: "a\x00b"}},
		{name: "invalid UTF-8 in to", key: id.String(), err: ErrBadText,
			record: &records.ConfirmMoneyTransfer{ID: id, Amount: 1, From: "cash", To: "\xff"}},
		{name: "plain text is fine", key: id.String(), kind: ledger.KindMoneyTransfer,
			record: &records.ConfirmMoneyTransfer{ID: id, Token: "t", Amount: 5, From: "cash", To: "x", Description: "d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &messaging.Delivery{Key: []byte(tt.key), Record: tt.record}
			c, err := parse(d)
			if !errors.Is(err, tt.err) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if c.id != id || c.kind != tt.kind || c.d != d {
				t.Fatalf("command %+v", c)
			}
			if c.kind == ledger.KindMoneyTransfer {
				want := ledger.Transfer{Amount: 5, From: "cash", To: "x", Description: "d"}
				if !reflect.DeepEqual(c.transfer, want) || c.token != "t" {
					t.Fatalf("transfer %+v, want %+v", c.transfer, want)
				}
			}
		})
	}
}

func TestEvents(t *testing.T) {
	id := uuid.New()
	idText := id.String()
	header := []messaging.Header{{Key: topology.HeaderCommandID, Value: []byte(idText)}}
	transfer := ledger.Outcome{Kind: ledger.KindMoneyTransfer, Transfer: ledger.Transfer{Amount: 5, From: "A", To: "B", Description: "d"},
		Debited: true, FromBalance: 10, Credited: true, ToBalance: 20}
	changes := []messaging.Message{
		{Topic: topology.TopicBalanceChanged, Key: "A", Headers: header,
			Record: &records.BalanceChanged{IBAN: "A", NewBalance: 10, ChangedBy: -5, FromTo: "B", Description: "d"}},
		{Topic: topology.TopicBalanceChanged, Key: "B", Headers: header,
			Record: &records.BalanceChanged{IBAN: "B", NewBalance: 20, ChangedBy: 5, FromTo: "A", Description: "d"}},
	}
	confirmed := messaging.Message{Topic: topology.TopicMoneyTransferFeedback, Key: idText, Headers: header,
		Record: &records.MoneyTransferConfirmed{ID: id}}
	tests := []struct {
		name string
		a    answer
		want []messaging.Message
	}{
		{name: "decided transfer", a: answer{outcome: transfer, sendChanges: true},
			want: append(append([]messaging.Message{}, changes...), confirmed)},
		{name: "client retry: feedback only", a: answer{outcome: transfer}, want: []messaging.Message{confirmed}},
		{name: "failed transfer", a: answer{outcome: ledger.Outcome{Kind: ledger.KindMoneyTransfer, Reason: "invalid token"}, sendChanges: true},
			want: []messaging.Message{{Topic: topology.TopicMoneyTransferFeedback, Key: idText, Headers: header,
				Record: &records.MoneyTransferFailed{ID: id, Reason: "invalid token"}}}},
		{name: "account created", a: answer{outcome: ledger.Outcome{Kind: ledger.KindAccountCreation, IBAN: "I", Token: "T", AType: "MANUAL"}, sendChanges: true},
			want: []messaging.Message{{Topic: topology.TopicAccountCreationFeedback, Key: idText, Headers: header,
				Record: &records.AccountCreationConfirmed{ID: id, IBAN: "I", Token: "T", AType: "MANUAL"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.a.cmd.id = id
			if got := events(tt.a); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("events\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDeadLetterKeepsTheRecordAndSaysWhere(t *testing.T) {
	d := &messaging.Delivery{Topic: "commands", Partition: 7, Offset: 42, Key: []byte("k"), Value: []byte{0, 1, 2},
		Headers: []messaging.Header{{Key: "h", Value: []byte("v")}}}
	m := messaging.DeadLetter("dl", d.Raw(), ErrKeyNotUUID)
	if m.Topic != "dl" || string(m.Key) != "k" || string(m.Value) != "\x00\x01\x02" {
		t.Fatalf("dead letter %+v", m)
	}
	want := map[string]string{messaging.HeaderDeadLetterTopic: "commands", messaging.HeaderDeadLetterPartition: "7",
		messaging.HeaderDeadLetterOffset: "42", messaging.HeaderDeadLetterError: ErrKeyNotUUID.Error(), "h": "v"}
	got := map[string]string{}
	for _, h := range m.Headers {
		got[h.Key] = string(h.Value)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("headers %v, want %v", got, want)
	}
}

func TestRefusalAnswersADeadLetteredCommandWithItsID(t *testing.T) {
	id := uuid.New()
	transfer := &records.ConfirmMoneyTransfer{ID: id, Token: "t", Amount: 1, From: "cash", To: "x", Description: "a\x00b"}
	d := messaging.Delivery{Topic: "commands", Key: []byte(id.String()), Record: transfer}
	c, err := parse(&d)
	if !errors.Is(err, ErrBadText) {
		t.Fatalf("parse: %v", err)
	}
	m, ok := refusal(c, err)
	failed, isFailed := m.Record.(*records.MoneyTransferFailed)
	if !ok || !isFailed || m.Topic != topology.TopicMoneyTransferFeedback || m.Key != id.String() ||
		failed.ID != [16]byte(id) || failed.Reason != ReasonInvalidCommand {
		t.Errorf("refusal %+v %v", m, ok)
	}

	creation := &records.ConfirmAccountCreation{ID: id, AType: "\xff"}
	d = messaging.Delivery{Topic: "commands", Record: creation}
	c, err = parse(&d)
	if m, ok := refusal(c, err); !ok || m.Topic != topology.TopicAccountCreationFeedback {
		t.Errorf("account creation refusal %+v %v", m, ok)
	} else if f, _ := m.Record.(*records.AccountCreationFailed); f == nil || f.Reason != ReasonInvalidCommand {
		t.Errorf("account creation refusal record %+v", m.Record)
	}

	// A key that is not the id: whose command it is cannot be told.
	d = messaging.Delivery{Topic: "commands", Key: []byte(uuid.NewString()), Record: transfer}
	c, err = parse(&d)
	if _, ok := refusal(c, err); ok {
		t.Error("answered a command whose key is another id")
	}
	d = messaging.Delivery{Topic: "commands", Key: []byte("k"), Record: &records.BalanceChanged{}}
	c, err = parse(&d)
	if _, ok := refusal(c, err); ok {
		t.Error("answered a record that is no command")
	}
}
