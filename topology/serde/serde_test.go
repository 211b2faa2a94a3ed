package serde

import (
	"bytes"
	"errors"
	"io/fs"
	"reflect"
	"strings"
	"testing"

	"github.com/hamba/avro/v2"

	"openbank/schemas"
	"openbank/topology"
	"openbank/topology/records"
	"openbank/topology/serde/serdetest"
)

func sampleRecords() map[string][]records.Record {
	id := [16]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0, 1, 2, 3, 4, 5, 6, 7}
	return map[string][]records.Record{
		topology.TopicHeartbeat: {&records.Heartbeat{Beat: 1<<62 + 5}},
		topology.TopicCommands: {
			&records.ConfirmAccountCreation{ID: id, AType: records.AtypeManual},
			&records.ConfirmMoneyTransfer{ID: id, Token: "cash", Amount: 2000, From: "cash", To: "NL66OPEN0000000000", Description: "deposit €20"},
		},
		topology.TopicAccountCreationFeedback: {
			&records.AccountCreationConfirmed{ID: id, IBAN: "NL66OPEN0000000000", Token: "00000000000000000000", AType: records.AtypeAuto},
			&records.AccountCreationFailed{ID: id, Reason: "generated iban already exists, try again"},
		},
		topology.TopicMoneyTransferFeedback: {
			&records.MoneyTransferConfirmed{ID: id},
			&records.MoneyTransferFailed{ID: id, Reason: "insufficient funds"},
		},
		topology.TopicBalanceChanged: {&records.BalanceChanged{IBAN: "NL66OPEN0000000000", NewBalance: -50000, ChangedBy: -1, FromTo: "cash", Description: ""}},
	}
}

func TestEveryRecordRoundTrips(t *testing.T) {
	s := NewSerde(serdetest.NewRegistry())
	seen := 0
	for topic, recs := range sampleRecords() {
		for _, r := range recs {
			data, err := s.Encode(topic, r)
			if err != nil {
				t.Fatalf("encode %T: %v", r, err)
			}
			if data[0] != 0 || len(data) < 5 {
				t.Fatalf("encode %T: not the wire format: %x", r, data)
			}
			back, err := s.Decode(topic, data)
			if err != nil {
				t.Fatalf("decode %T: %v", r, err)
			}
			if !reflect.DeepEqual(back, r) {
				t.Fatalf("round trip of %T: got %+v, want %+v", r, back, r)
			}
			seen++
		}
	}
	if seen != len(records.All()) {
		t.Fatalf("round-tripped %d record types, the bank has %d", seen, len(records.All()))
	}
}

func TestSubjectsUseTopicRecordNameStrategy(t *testing.T) {
	got := map[string]bool{}
	for _, topic := range topology.Topics() {
		for _, r := range topic.Records {
			got[topology.Subject(topic.Name, r)] = true
		}
	}
	want := []string{
		"heartbeat-nl.openweb.data.Heartbeat",
		"commands-nl.openweb.data.ConfirmAccountCreation",
		"commands-nl.openweb.data.ConfirmMoneyTransfer",
		"account_creation_feedback-nl.openweb.data.AccountCreationConfirmed",
		"account_creation_feedback-nl.openweb.data.AccountCreationFailed",
		"money_transfer_feedback-nl.openweb.data.MoneyTransferConfirmed",
		"money_transfer_feedback-nl.openweb.data.MoneyTransferFailed",
		"balance_changed-nl.openweb.data.BalanceChanged",
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("missing subject %s", w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d subjects, want %d: %v", len(got), len(want), got)
	}
}

// The generated Go types must match the .avsc files they came from.
func TestGeneratedTypesMatchSchemaFiles(t *testing.T) {
	files, err := fs.Glob(schemas.Files, "*.avsc")
	if err != nil || len(files) != len(records.All()) {
		t.Fatalf("found %d schema files (%v), want %d", len(files), err, len(records.All()))
	}
	for _, f := range files {
		text, _ := fs.ReadFile(schemas.Files, f)
		parsed, err := avro.ParseBytesWithCache(text, "", &avro.SchemaCache{})
		if err != nil {
			t.Fatalf("%s does not parse alone: %v", f, err)
		}
		name := parsed.(avro.NamedSchema).FullName()
		if name != "nl.openweb.data."+strings.TrimSuffix(f, ".avsc") {
			t.Errorf("%s holds %s", f, name)
		}
		r, ok := records.New(name)
		if !ok {
			t.Fatalf("no Go type for %s", name)
		}
		if parsed.Fingerprint() != r.Schema().Fingerprint() {
			t.Errorf("%s differs from the generated type; run go generate in topology/records", f)
		}
	}
}

func TestDecodeRejectsBadInput(t *testing.T) {
	reg := serdetest.NewRegistry()
	s := NewSerde(reg)
	good, err := s.Encode(topology.TopicCommands, &records.ConfirmMoneyTransfer{Token: "t", Amount: 1, From: "a", To: "b", Description: "d"})
	if err != nil {
		t.Fatal(err)
	}
	heartbeat, _ := s.Encode(topology.TopicHeartbeat, &records.Heartbeat{Beat: 1})
	foreign := reg.Add("commands-com.example.Foo", `{"type":"record","name":"Foo","namespace":"com.example","fields":[{"name":"x","type":"int"}]}`)

	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrNotWireFormat},
		{"too short", []byte{0, 0, 0}, ErrNotWireFormat},
		{"wrong magic byte", append([]byte{1}, good[1:]...), ErrNotWireFormat},
		{"plain text", []byte("hello, bank"), ErrNotWireFormat},
		{"unknown schema id", append([]byte{0, 0, 0, 0x7f, 0xff}, good[5:]...), ErrUnknownSchema},
		{"truncated avro", good[:len(good)-3], ErrMalformedAvro},
		{"record of another topic", heartbeat, ErrUnexpectedType},
		{"record not of the bank", []byte{0, 0, 0, 0, byte(foreign), 2}, ErrUnknownRecord},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Decode(topology.TopicCommands, c.data)
			var de *DecodeError
			if !errors.As(err, &de) || !errors.Is(err, c.want) {
				t.Fatalf("got %v, want a DecodeError wrapping %v", err, c.want)
			}
		})
	}
}

func TestEncodeNeedsRegisteredSchema(t *testing.T) {
	s := NewSerde(serdetest.Empty())
	_, err := s.Encode(topology.TopicHeartbeat, &records.Heartbeat{Beat: 1})
	if err == nil || !strings.Contains(err.Error(), "heartbeat-nl.openweb.data.Heartbeat") {
		t.Fatalf("got %v, want an error naming the subject", err)
	}
}

// A record written with an older schema (a field fewer, with a default in
// ours) still decodes through schema resolution.
func TestDecodeResolvesOtherWriterSchema(t *testing.T) {
	reg := serdetest.NewRegistry()
	s := NewSerde(reg)
	writer := `{"type":"record","name":"Heartbeat","namespace":"nl.openweb.data","fields":[{"name":"beat","type":"int"}]}`
	id := reg.Add("heartbeat-nl.openweb.data.Heartbeat", writer)
	body, err := avro.Marshal(avro.MustParse(writer), map[string]any{"beat": 42})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Decode(topology.TopicHeartbeat, append([]byte{0, 0, 0, 0, byte(id)}, body...))
	if err != nil {
		t.Fatal(err)
	}
	if hb := got.(*records.Heartbeat); hb.Beat != 42 {
		t.Fatalf("beat = %d, want 42", hb.Beat)
	}
}

func FuzzDecodeNeverPanics(f *testing.F) {
	reg := serdetest.Empty()
	for _, topic := range topology.Topics() {
		for _, r := range topic.Records {
			reg.Add(topology.Subject(topic.Name, r), r.Schema().String())
		}
	}
	s := NewSerde(reg)
	for topic, recs := range sampleRecords() {
		for _, r := range recs {
			data, _ := s.Encode(topic, r)
			f.Add(data)
		}
	}
	f.Add([]byte{0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, topic := range []string{topology.TopicCommands, topology.TopicBalanceChanged} {
			r, err := s.Decode(topic, bytes.Clone(data))
			if err == nil && r == nil {
				t.Fatal("nil record without error")
			}
			var de *DecodeError
			if err != nil && !errors.As(err, &de) {
				t.Fatalf("non-decode error from memory registry: %v", err)
			}
		}
	})
}

// BenchmarkDecodeBalanceChanged: every consumer decodes every record it reads.
func BenchmarkDecodeBalanceChanged(b *testing.B) {
	serde := NewSerde(serdetest.NewRegistry())
	data, err := serde.Encode(topology.TopicBalanceChanged, &records.BalanceChanged{IBAN: "NL66OPEN0000000001", NewBalance: 100, ChangedBy: 1,
		FromTo: "NL66OPEN0000000002", Description: "benchmark"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := serde.Decode(topology.TopicBalanceChanged, data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeBalanceChanged: the command handler encodes every event it publishes.
func BenchmarkEncodeBalanceChanged(b *testing.B) {
	serde := NewSerde(serdetest.NewRegistry())
	r := &records.BalanceChanged{IBAN: "NL66OPEN0000000001", NewBalance: 100, ChangedBy: 1,
		FromTo: "NL66OPEN0000000002", Description: "benchmark"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := serde.Encode(topology.TopicBalanceChanged, r); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEncodeIsHeaderAndMarshal: the pooled encoding writes the very bytes of
// the wire header followed by the record's own Marshal, for every record.
func TestEncodeIsHeaderAndMarshal(t *testing.T) {
	serde := NewSerde(serdetest.NewRegistry())
	for topic, recs := range sampleRecords() {
		for _, r := range recs {
			got, err := serde.Encode(topic, r)
			if err != nil {
				t.Fatalf("%s %s: %v", topic, records.FullName(r), err)
			}
			body, err := r.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if len(got) < wireHeaderLen || !bytes.Equal(got[wireHeaderLen:], body) || got[0] != wireMagic {
				t.Errorf("%s %s: encoded % x, want the header and % x", topic, records.FullName(r), got, body)
			}
		}
	}
}
