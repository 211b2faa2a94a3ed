// Package driver performs the load test's interactions with the bank: through
// the GraphQL WebSocket API (api) or by clicking the real page in headless
// Chromium (browser).
package driver

import (
	"context"
	"time"
)

// The bank's own account, to which the load test's transfers go.
const BankIBAN = "NL66OPEN0000000000"

// Kinds of interaction.
const (
	KindDeposit  = "deposit"
	KindTransfer = "transfer"
)

// Interaction is one deposit (cash → own account) or transfer (own account →
// the bank's account).
type Interaction struct {
	Loop        int
	Kind        string
	AmountCents int64
	Description string // unique in the run: how the new transaction is recognised
}

// Measurement is what one interaction took. Visible is the time until the new
// transaction was visible to the client (the figure the original reported);
// Feedback the time until the command's answer arrived (zero when the driver
// cannot see it). Timeout: not visible within the time-out.
type Measurement struct {
	Feedback time.Duration
	Visible  time.Duration
	Timeout  bool
	Err      error
}

// Driver performs interactions one at a time.
type Driver interface {
	// Open logs in (creating the account) and prepares to watch its transactions.
	Open(ctx context.Context) error
	// Do performs one interaction, waiting at most timeout for it to be visible.
	Do(ctx context.Context, in Interaction, timeout time.Duration) Measurement
	Close() error
}
