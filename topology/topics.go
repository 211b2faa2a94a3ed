package topology

import (
	"reflect"
	"slices"
	"strconv"
	"time"

	"openbank/topology/records"
)

// Topic names of the bank (docs/design.md).
const (
	TopicHeartbeat               = "heartbeat"
	TopicCommands                = "commands"
	TopicAccountCreationFeedback = "account_creation_feedback"
	TopicMoneyTransferFeedback   = "money_transfer_feedback"
	TopicBalanceChanged          = "balance_changed"
	// TopicCommandsDeadLetter receives command records that cannot be decoded,
	// byte for byte, so nothing a client sent is lost.
	TopicCommandsDeadLetter = "commands_dead_letter"
)

// HeaderCommandID is the Kafka header that carries the id (UUID text) of the
// command an event answers, so a consumer can recognise a redelivered event.
const HeaderCommandID = "command-id"

// KeyRule says what a topic's record keys are.
type KeyRule string

const (
	KeyNone      KeyRule = "none"       // no key: records spread over partitions freely
	KeyCommandID KeyRule = "command id" // the command's UUID text, so a command and its answers share a partition
	KeyIBAN      KeyRule = "iban"       // the account, so its balance changes stay in order
)

// Topic is one topic of the bank as the synchronizer creates it.
type Topic struct {
	Name              string
	Partitions        int
	ReplicationFactor int
	// Configs are topic-level settings (retention.ms, min.insync.replicas, ...).
	Configs map[string]string
	// Records are the record types written to this topic (TopicRecordNameStrategy);
	// empty for a topic whose values are raw bytes.
	Records []records.Record
	Key     KeyRule
}

// CommandsRetention is how long Kafka keeps a command record, and so how long
// it may deliver one again: the command handler keeps the record of every
// command handled at least this long (DEDUP_WINDOW_MS, checked at start).
const CommandsRetention = 7 * 24 * time.Hour

// Replication the bank asks for; the synchronizer caps it at the broker count.
const (
	DefaultReplication = 3
	DefaultMinInsync   = "2"
)

// Topics is the bank's topology. The slice is built fresh on every call so a
// caller may change its copy (tests prefix the names, for example).
func Topics() []Topic {
	withMinISR := func(extra map[string]string) map[string]string {
		c := map[string]string{"min.insync.replicas": DefaultMinInsync}
		for k, v := range extra {
			c[k] = v
		}
		return c
	}
	return []Topic{
		{
			Name: TopicHeartbeat, Partitions: 1, ReplicationFactor: DefaultReplication,
			Configs: withMinISR(map[string]string{"retention.ms": "900000"}), // 15 minutes
			Records: []records.Record{&records.Heartbeat{}},
			Key:     KeyNone,
		},
		{
			Name: TopicCommands, Partitions: 24, ReplicationFactor: DefaultReplication,
			Configs: withMinISR(map[string]string{"retention.ms": strconv.FormatInt(CommandsRetention.Milliseconds(), 10)}),
			Records: []records.Record{&records.ConfirmAccountCreation{}, &records.ConfirmMoneyTransfer{}},
			Key:     KeyCommandID,
		},
		{
			Name: TopicAccountCreationFeedback, Partitions: 24, ReplicationFactor: DefaultReplication,
			Configs: withMinISR(nil),
			Records: []records.Record{&records.AccountCreationConfirmed{}, &records.AccountCreationFailed{}},
			Key:     KeyCommandID,
		},
		{
			Name: TopicMoneyTransferFeedback, Partitions: 24, ReplicationFactor: DefaultReplication,
			Configs: withMinISR(nil),
			Records: []records.Record{&records.MoneyTransferConfirmed{}, &records.MoneyTransferFailed{}},
			Key:     KeyCommandID,
		},
		{
			Name: TopicBalanceChanged, Partitions: 24, ReplicationFactor: DefaultReplication,
			Configs: withMinISR(nil),
			Records: []records.Record{&records.BalanceChanged{}},
			Key:     KeyIBAN,
		},
		{
			// Kept long: a dead letter is evidence to look at, not traffic.
			Name: TopicCommandsDeadLetter, Partitions: 1, ReplicationFactor: DefaultReplication,
			Configs: withMinISR(map[string]string{"retention.ms": "-1"}),
			Key:     KeyNone,
		},
	}
}

// TopicByName returns the bank's topic with that name.
func TopicByName(name string) (Topic, bool) {
	for _, t := range Topics() {
		if t.Name == name {
			return t, true
		}
	}
	return Topic{}, false
}

// recordTypes is, per topic, the types of the records the topology puts on
// it: made once, as every record decoded is checked against it.
var recordTypes = func() map[string][]reflect.Type {
	types := map[string][]reflect.Type{}
	for _, t := range Topics() {
		types[t.Name] = []reflect.Type{}
		for _, r := range t.Records {
			types[t.Name] = append(types[t.Name], reflect.TypeOf(r))
		}
	}
	return types
}()

// Carries says whether the topology puts records of r's type on topic; a
// topic outside the topology (a test's own) carries any.
func Carries(topic string, r records.Record) bool {
	carried, ok := recordTypes[topic]
	return !ok || slices.Contains(carried, reflect.TypeOf(r))
}

// Subject is the schema registry subject of a record on a topic
// (TopicRecordNameStrategy): "<topic>-<record full name>".
func Subject(topic string, r records.Record) string {
	return topic + "-" + records.FullName(r)
}
