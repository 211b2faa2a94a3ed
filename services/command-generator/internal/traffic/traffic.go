// Package traffic decides what command each heartbeat becomes, as the
// original open-bank-mark command generator did: which kind, which amount,
// which accounts. It does no I/O; its randomness comes from the caller.
package traffic

import (
	"math/rand/v2"
	"sync"
	"time"

	"openbank/topology/ident"
	"openbank/topology/records"
)

// Kind is what a generated command does; its text starts the description.
type Kind string

const (
	Creation Kind = "account creation" // ConfirmAccountCreation of an AUTO account
	Salary   Kind = "salary"           // from the bank's own account to an AUTO account
	Deposit  Kind = "deposit"          // from cash
	Withdraw Kind = "withdraw"         // to cash
	Payment  Kind = "ah pin"           // a card payment at the supermarket
	Transfer Kind = "transfer"         // to another AUTO account
)

// Kinds are the money transfer kinds, in the order of their odds.
var Kinds = []Kind{Salary, Deposit, Withdraw, Payment, Transfer}

// Odds of each transfer kind, in seventieths (the original's (rand-int 70)).
var Odds = map[Kind]int{Salary: 1, Deposit: 3, Withdraw: 10, Payment: 40, Transfer: 16}

// Shop is where payments go.
const Shop = "Albert Heijn BV"

// CashAmounts are the deposit and withdrawal amounts in cents, drawn uniformly
// from this list, so €20 and €50 come up more often, as in the original.
var CashAmounts = []int64{2000, 2000, 2000, 3000, 5000, 5000, 10000, 20000}

// Amount ranges in cents, lowest included, highest excluded.
const (
	SalaryMin, SalaryMax   = 220_000, 270_000 // €2,200 to €2,700
	PaymentMin, PaymentMax = 1_000, 11_000    // €10 to €110, payments and transfers
)

// Every beat below CreationBeats, and every CreationEvery-th, creates an account.
const (
	CreationBeats = 20
	CreationEvery = 200
)

// descriptionTime is the timestamp after the kind in a description (local time).
const descriptionTime = "2006-01-02T15:04:05.000"

// Command is one command to send, keyed by its id.
type Command struct {
	ID     ident.CommandID
	Kind   Kind
	Record records.Record // *records.ConfirmAccountCreation or *records.ConfirmMoneyTransfer
}

// Generator turns beats into commands. It is safe for concurrent use.
type Generator struct {
	mu       sync.Mutex
	rng      *rand.Rand
	accounts *Accounts
	// bankToken is the bank's own account's token (BANK_TOKEN), for salaries.
	bankToken string
	// Now and NewID may be replaced before first use (tests).
	Now   func() time.Time
	NewID func() ident.CommandID
}

// New returns a generator drawing from rng and the accounts it remembers,
// paying salaries from the bank's own account with bankToken.
func New(rng *rand.Rand, accounts *Accounts, bankToken string) *Generator {
	return &Generator{rng: rng, accounts: accounts, bankToken: bankToken, Now: time.Now, NewID: ident.NewCommandID}
}

// ForBeat is the command for a heartbeat.
func (g *Generator) ForBeat(beat int64) Command {
	if beat < CreationBeats || beat%CreationEvery == 0 {
		id := g.NewID()
		return Command{ID: id, Kind: Creation,
			Record: &records.ConfirmAccountCreation{ID: ident.Fixed(id), AType: records.AtypeAuto}}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.transfer(g.kind())
}

// Remember adds an AUTO account; it returns the salary the new account gets,
// or false when the account was already known.
func (g *Generator) Remember(acc Account) (Command, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.accounts.Add(acc) {
		return Command{}, false
	}
	return g.salary(acc.IBAN), true
}

// Known is how many accounts the generator remembers.
func (g *Generator) Known() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.accounts.Len()
}

// kind draws a transfer kind with the original's odds.
func (g *Generator) kind() Kind {
	n := g.rng.IntN(70)
	for _, k := range Kinds {
		if n < Odds[k] {
			return k
		}
		n -= Odds[k]
	}
	panic("traffic: odds do not add up to 70")
}

// account draws a remembered account; until one exists it is the bank's own,
// as in the original.
func (g *Generator) account() Account {
	if acc, ok := g.accounts.pick(g.rng); ok {
		return acc
	}
	return Account{IBAN: ident.OwnIBAN, Token: g.bankToken}
}

func (g *Generator) transfer(k Kind) Command {
	switch k {
	case Salary:
		return g.salary(g.account().IBAN)
	case Deposit:
		return g.money(k, ident.Cash, ident.Cash, g.account().IBAN, g.cashAmount())
	case Withdraw:
		from := g.account()
		return g.money(k, from.Token, from.IBAN, ident.Cash, g.cashAmount())
	case Payment:
		from := g.account()
		return g.money(k, from.Token, from.IBAN, Shop, g.between(PaymentMin, PaymentMax))
	default:
		from := g.account()
		to, ok := g.accounts.pickOther(g.rng, from.IBAN)
		if !ok {
			// One AUTO account (or none): the bank's own account is the other one.
			to = Account{IBAN: ident.OwnIBAN}
		}
		return g.money(Transfer, from.Token, from.IBAN, to.IBAN, g.between(PaymentMin, PaymentMax))
	}
}

func (g *Generator) salary(to string) Command {
	return g.money(Salary, g.bankToken, ident.OwnIBAN, to, g.between(SalaryMin, SalaryMax))
}

func (g *Generator) money(k Kind, token, from, to string, amount int64) Command {
	id := g.NewID()
	return Command{ID: id, Kind: k, Record: &records.ConfirmMoneyTransfer{
		ID: ident.Fixed(id), Token: token, Amount: amount, From: from, To: to,
		Description: string(k) + " " + g.Now().Format(descriptionTime),
	}}
}

func (g *Generator) cashAmount() int64 { return CashAmounts[g.rng.IntN(len(CashAmounts))] }

func (g *Generator) between(lo, hi int64) int64 { return lo + g.rng.Int64N(hi-lo) }
