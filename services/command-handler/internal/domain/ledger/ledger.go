// Package ledger holds the command handler's rules: how a command is decided
// against the accounts it touches. It does no I/O; the caller loads and locks
// the accounts, and stores and publishes what the decision says.
package ledger

import (
	"crypto/subtle"
	"math"

	"openbank/topology/ident"
	"openbank/topology/records"
)

// Reasons a command fails, exactly as clients of the original see them.
const (
	ReasonFromInvalid       = "from is invalid"
	ReasonSameAccount       = "from and to can't be same for transfer"
	ReasonInvalidToken      = "invalid token"
	ReasonInsufficientFunds = "insufficient funds"
	ReasonBothUnknown       = "both to and from not known at this bank"
	ReasonInvalidAmount     = "invalid amount"
	ReasonIBANExists        = "generated iban already exists, try again"
)

// DefaultLimit is the lowest balance of a new account: −€500, in cents.
const DefaultLimit int64 = -50_000

// Account is one account of this bank.
type Account struct {
	IBAN string
	// TokenHash is the keyed hash of the account's token (package tokens);
	// empty: no token opens it (the bank's own before start-up sets it).
	TokenHash []byte
	Balance   int64 // cents
	Limit     int64 // the balance may not go below this
	AType     string
}

// Book holds the accounts a batch of commands may touch, by iban. Decisions
// change it in place, so commands later in a batch see earlier ones' effects.
type Book map[string]*Account

// Kind is the type of a command.
type Kind int16

const (
	KindAccountCreation Kind = 1
	KindMoneyTransfer   Kind = 2
)

func (k Kind) String() string {
	switch k {
	case KindAccountCreation:
		return "ConfirmAccountCreation"
	case KindMoneyTransfer:
		return "ConfirmMoneyTransfer"
	}
	return "unknown"
}

// Transfer is a money transfer as a client asked for it.
type Transfer struct {
	// TokenHash is the keyed hash of the token the client sent: the caller
	// hashes before deciding, so the rules never see a token.
	TokenHash   []byte
	Amount      int64 // cents
	From        string
	To          string
	Description string
}

// Outcome is everything a decided command leads to. It is stored with the
// command id, so the same answer and events can be given again.
type Outcome struct {
	Kind   Kind
	Reason string // empty when the command is confirmed

	// Account creation: the new account (when confirmed) and its type.
	IBAN, Token, AType string

	// Money transfer: what was asked (not the token's hash: a failed guess
	// keeps nothing of it) and, for each side
	// that is an account of this bank and was changed, its new balance.
	Transfer    Transfer
	Debited     bool
	FromBalance int64
	Credited    bool
	ToBalance   int64
}

// Confirmed says whether the command succeeded.
func (o Outcome) Confirmed() bool { return o.Reason == "" }

// DecideTransfer checks t against the bank's rules, in the original's order,
// and on success moves the money between the accounts in book.
func DecideTransfer(t Transfer, book Book) Outcome {
	o := Outcome{Kind: KindMoneyTransfer, Transfer: t}
	o.Transfer.TokenHash = nil
	fail := func(reason string) Outcome { o.Reason = reason; return o }

	deposit := t.From == ident.Cash
	var from *Account
	if !deposit {
		// An iban of this bank that has no account is as invalid as garbage:
		// the original credited `to` from nowhere in that case.
		from = book[t.From]
		if from == nil || !ident.ValidIBAN(t.From) {
			return fail(ReasonFromInvalid)
		}
	}
	if t.From == t.To {
		return fail(ReasonSameAccount)
	}
	if t.Amount <= 0 {
		return fail(ReasonInvalidAmount)
	}
	if from != nil {
		// Hashes, in constant time: how long the comparison takes tells
		// nothing of the token. An account without a hash opens to none.
		if len(from.TokenHash) == 0 || subtle.ConstantTimeCompare(from.TokenHash, t.TokenHash) != 1 {
			return fail(ReasonInvalidToken)
		}
		if !canDebit(from, t.Amount) {
			return fail(ReasonInsufficientFunds)
		}
	}
	to := book[t.To] // anything else (an external iban, cash, a shop) is outside the bank
	if deposit && to == nil {
		return fail(ReasonBothUnknown)
	}
	if to != nil && to.Balance > math.MaxInt64-t.Amount {
		// A balance that does not fit in 64 bits cannot be kept.
		return fail(ReasonInvalidAmount)
	}
	if from != nil {
		from.Balance -= t.Amount
		o.Debited, o.FromBalance = true, from.Balance
	}
	if to != nil {
		to.Balance += t.Amount
		o.Credited, o.ToBalance = true, to.Balance
	}
	return o
}

// canDebit says whether a's balance minus amount (> 0) stays at or above its
// limit, without overflowing.
func canDebit(a *Account, amount int64) bool {
	if a.Balance < a.Limit {
		return false
	}
	headroom := a.Balance - a.Limit
	if headroom < 0 { // wrapped: the headroom exceeds any int64 amount
		return true
	}
	return amount <= headroom
}

// DecideAccountCreation opens an account with the generated iban and token
// (tokenHash its hash, which the account keeps) unless the iban is taken
// (book holds it when it exists).
func DecideAccountCreation(aType, iban, token string, tokenHash []byte, book Book) Outcome {
	o := Outcome{Kind: KindAccountCreation, AType: aType}
	if _, taken := book[iban]; taken {
		o.Reason = ReasonIBANExists
		return o
	}
	book[iban] = &Account{IBAN: iban, TokenHash: tokenHash, Balance: 0, Limit: DefaultLimit, AType: aType}
	o.IBAN, o.Token = iban, token
	return o
}

// Feedback is the answer to the command with id.
func (o Outcome) Feedback(id [16]byte) records.Record {
	switch {
	case o.Kind == KindAccountCreation && o.Confirmed():
		return &records.AccountCreationConfirmed{ID: id, IBAN: o.IBAN, Token: o.Token, AType: o.AType}
	case o.Kind == KindAccountCreation:
		return &records.AccountCreationFailed{ID: id, Reason: o.Reason}
	case o.Confirmed():
		return &records.MoneyTransferConfirmed{ID: id}
	default:
		return &records.MoneyTransferFailed{ID: id, Reason: o.Reason}
	}
}

// BalanceChanges are the events of the balances the command changed: the
// debited side first, with a negative changed_by, each naming the counter party.
func (o Outcome) BalanceChanges() []*records.BalanceChanged {
	var out []*records.BalanceChanged
	t := o.Transfer
	if o.Debited {
		out = append(out, &records.BalanceChanged{IBAN: t.From, NewBalance: o.FromBalance,
			ChangedBy: -t.Amount, FromTo: t.To, Description: t.Description})
	}
	if o.Credited {
		out = append(out, &records.BalanceChanged{IBAN: t.To, NewBalance: o.ToBalance,
			ChangedBy: t.Amount, FromTo: t.From, Description: t.Description})
	}
	return out
}
