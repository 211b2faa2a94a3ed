// Package chaos runs the bank under load while it injects faults (kill -9 of
// the command handler and the gateway, SIGSTOP of the handler, kill -9 of a
// Kafka broker, an immediate PostgreSQL stop), then checks that nothing was
// lost, doubled or left stuck. The checks are pure functions over what was
// read (this file and invariants.go); collect.go does the reading.
package chaos

import "time"

// Opening balances: the bank's own account starts with this (migration of
// balancedb), every other account with 0.
const (
	BankIBAN           = "NL66OPEN0000000000"
	BankOpeningBalance = int64(100_000_000_000_000_000)
	Cash               = "cash"
)

// Command is a command read from the commands topic.
type Command struct {
	ID       string
	Transfer bool // ConfirmMoneyTransfer, else ConfirmAccountCreation
	Amount   int64
	From, To string
}

// Feedback is an answer read from a feedback topic.
type Feedback struct {
	ID        string
	Confirmed bool
	// IBAN of an opened account (AccountCreationConfirmed).
	IBAN string
	// Canonical is every field of the record, so copies can be compared.
	Canonical string
}

// BalanceEvent is a BalanceChanged read from balance_changed, in the order
// of its partition (the iban is the key, so an account's events are in order).
type BalanceEvent struct {
	CommandID   string // command-id header
	IBAN        string
	NewBalance  int64
	ChangedBy   int64
	FromTo      string
	Description string
}

// Key is what identifies the event across redeliveries.
func (e BalanceEvent) Key() EventKey { return EventKey{e.CommandID, e.IBAN} }

// EventKey is a BalanceChanged's identity: its command and its account.
type EventKey struct{ CommandID, IBAN string }

// Lag is one consumer group's position on one partition.
type Lag struct {
	Group, Topic string
	Partition    int32
	Committed    int64 // -1 when nothing is committed
	High         int64
}

// DeadLetter is a record of the dead-letter topic.
type DeadLetter struct {
	Offset int64
	// ValidCommand says it decodes as a command the handler should have handled.
	ValidCommand bool
	Detail       string
}

// ClientTransfer is one transfer an API client asked for, with what it saw.
type ClientTransfer struct {
	Client      string
	ID          string // the uuid, also the command id
	IBAN        string // the client's account, whose stream it watched
	Description string
	Answered    bool // got success or a failure reason (not a timeout)
	Confirmed   bool
	// StreamIDs are the distinct transaction ids seen for this transfer on
	// the client's stream (live, or read back after a reconnect).
	StreamIDs []string
	// Repeats counts deliveries of a transaction the same subscription had
	// already delivered: the gateway streamed it twice.
	Repeats int
	// For the report: when it was first sent, how often, the last error.
	Sent      time.Time `json:"sent"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error,omitempty"`
}

// Observed is everything read after a chaos run.
type Observed struct {
	Commands     []Command
	Feedback     []Feedback
	Events       []BalanceEvent
	Balances     map[string]int64 // balancedb: iban → amount
	Transactions []BalanceEvent   // transactiondb rows, as events
	Lags         []Lag
	DeadLetters  []DeadLetter
	Clients      []ClientTransfer
	Writes       *Writes // the gateways' insert counters and the table's counts; nil: not measured
}
