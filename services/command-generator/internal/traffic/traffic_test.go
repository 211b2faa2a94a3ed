package traffic

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"openbank/topology/ident"
	"openbank/topology/records"
)

// bankToken stands for BANK_TOKEN.
const bankToken = "bank-token-for-the-tests"

func seeded(accounts *Accounts) *Generator {
	g := New(rand.New(rand.NewPCG(1, 2)), accounts, bankToken)
	g.Now = func() time.Time { return time.Date(2026, 11, 21, 14, 5, 6, 789_000_000, time.Local) }
	return g
}

func autoAccounts(n int) *Accounts {
	a := NewAccounts(n)
	for i := range n {
		a.Add(Account{IBAN: ident.IBANFor(fmt.Sprintf("%010d", i+1)), Token: fmt.Sprintf("%020d", i+1)})
	}
	return a
}

func transferOf(t *testing.T, c Command) *records.ConfirmMoneyTransfer {
	t.Helper()
	m, ok := c.Record.(*records.ConfirmMoneyTransfer)
	if !ok {
		t.Fatalf("beat gave %T, want a money transfer", c.Record)
	}
	if ident.CommandIDFromFixed(m.ID) != c.ID {
		t.Fatalf("record id %x is not the command id %s", m.ID, c.ID)
	}
	return m
}

func TestAccountCreationBeats(t *testing.T) {
	g := seeded(autoAccounts(3))
	for beat := int64(0); beat < 1000; beat++ {
		c := g.ForBeat(beat)
		want := beat < 20 || beat%200 == 0
		cac, isCreation := c.Record.(*records.ConfirmAccountCreation)
		if isCreation != want {
			t.Fatalf("beat %d: creation %v, want %v", beat, isCreation, want)
		}
		if isCreation && (cac.AType != records.AtypeAuto || c.Kind != Creation || ident.CommandIDFromFixed(cac.ID) != c.ID) {
			t.Fatalf("beat %d: %+v", beat, cac)
		}
	}
}

// TestKindDistribution draws 700,000 transfers with a fixed seed and checks
// the kinds against the original's odds with a chi-square test (4 degrees of
// freedom; 18.47 is the 0.1% critical value).
func TestKindDistribution(t *testing.T) {
	g := seeded(autoAccounts(50))
	const draws = 700_000
	counts := map[Kind]int{}
	for i := range draws {
		c := g.ForBeat(int64(201 + i%199)) // never a creation beat
		counts[c.Kind]++
	}
	chi2 := 0.0
	for _, k := range Kinds {
		expected := float64(draws) * float64(Odds[k]) / 70
		d := float64(counts[k]) - expected
		chi2 += d * d / expected
		t.Logf("%-9s %6d (expected %6.0f)", k, counts[k], expected)
	}
	if chi2 > 18.47 {
		t.Fatalf("kinds do not follow the odds: chi-square %.2f > 18.47: %v", chi2, counts)
	}
	if len(counts) != len(Kinds) {
		t.Fatalf("unexpected kinds: %v", counts)
	}
}

func TestOddsAddUpTo70(t *testing.T) {
	sum := 0
	for _, k := range Kinds {
		sum += Odds[k]
	}
	if sum != 70 || Odds[Salary] != 1 || Odds[Deposit] != 3 || Odds[Withdraw] != 10 || Odds[Payment] != 40 || Odds[Transfer] != 16 {
		t.Fatalf("odds %v (sum %d)", Odds, sum)
	}
}

func TestTransfersByKind(t *testing.T) {
	accounts := autoAccounts(20)
	g := seeded(accounts)
	cash := map[int64]int{}
	var salaryLo, salaryHi, payLo, payHi int64 = 1 << 62, 0, 1 << 62, 0
	for i := range 200_000 {
		c := g.ForBeat(int64(201 + i%199))
		m := transferOf(t, c)
		if want := string(c.Kind) + " 2026-11-21T14:05:06.789"; m.Description != want {
			t.Fatalf("description %q, want %q", m.Description, want)
		}
		switch c.Kind {
		case Salary:
			if m.From != ident.OwnIBAN || m.Token != bankToken || !accounts.Contains(m.To) {
				t.Fatalf("salary %+v", m)
			}
			salaryLo, salaryHi = min(salaryLo, m.Amount), max(salaryHi, m.Amount)
		case Deposit:
			if m.From != ident.Cash || m.Token != ident.Cash || !accounts.Contains(m.To) {
				t.Fatalf("deposit %+v", m)
			}
			cash[m.Amount]++
		case Withdraw:
			if !accounts.Contains(m.From) || m.To != ident.Cash || m.Token != tokenOf(accounts, m.From) {
				t.Fatalf("withdraw %+v", m)
			}
			cash[m.Amount]++
		case Payment:
			if !accounts.Contains(m.From) || m.To != Shop || m.Token != tokenOf(accounts, m.From) {
				t.Fatalf("payment %+v", m)
			}
			payLo, payHi = min(payLo, m.Amount), max(payHi, m.Amount)
		case Transfer:
			if !accounts.Contains(m.From) || !accounts.Contains(m.To) || m.From == m.To || m.Token != tokenOf(accounts, m.From) {
				t.Fatalf("transfer %+v", m)
			}
			payLo, payHi = min(payLo, m.Amount), max(payHi, m.Amount)
		}
	}
	// Amounts stay in range and the draws reach both ends of it.
	if salaryLo < SalaryMin || salaryHi >= SalaryMax || salaryLo > SalaryMin+1000 || salaryHi < SalaryMax-1000 {
		t.Fatalf("salaries from %d to %d cents", salaryLo, salaryHi)
	}
	if payLo < PaymentMin || payHi >= PaymentMax || payLo > PaymentMin+100 || payHi < PaymentMax-100 {
		t.Fatalf("payments and transfers from %d to %d cents", payLo, payHi)
	}
	// Cash amounts: €20, €30, €50, €100, €200 with the original's weights 3:1:2:1:1.
	weights := map[int64]float64{2000: 3, 3000: 1, 5000: 2, 10000: 1, 20000: 1}
	total := 0
	for amount, n := range cash {
		if _, ok := weights[amount]; !ok {
			t.Fatalf("cash amount %d", amount)
		}
		total += n
	}
	for amount, w := range weights {
		share := float64(cash[amount]) / float64(total)
		if d := share - w/8; d > 0.01 || d < -0.01 {
			t.Errorf("cash amount %d: share %.3f, want %.3f", amount, share, w/8)
		}
	}
}

func tokenOf(a *Accounts, iban string) string {
	return a.ring[a.index[iban]].Token
}

func TestFallsBackToTheBanksOwnAccount(t *testing.T) {
	g := seeded(NewAccounts(10))
	for i := range 2000 {
		m := transferOf(t, g.ForBeat(int64(201+i%199)))
		if m.From != ident.OwnIBAN && m.From != ident.Cash {
			t.Fatalf("no accounts yet, but from %q", m.From)
		}
		if m.From == ident.OwnIBAN && m.Token != bankToken {
			t.Fatalf("own account with token %q", m.Token)
		}
	}
	// With one account, a transfer goes to the bank's own account.
	only := Account{IBAN: ident.IBANFor("0000000001"), Token: "11111111111111111111"}
	g.Remember(only)
	for i := range 2000 {
		c := g.ForBeat(int64(201 + i%199))
		m := transferOf(t, c)
		if c.Kind == Transfer && (m.From != only.IBAN || m.To != ident.OwnIBAN) {
			t.Fatalf("transfer with one account: %+v", m)
		}
		if m.From == ident.OwnIBAN && c.Kind != Salary {
			t.Fatalf("%s from the bank's own account although an AUTO account is known", c.Kind)
		}
	}
}

func TestRememberGivesASalaryOnce(t *testing.T) {
	g := seeded(NewAccounts(10))
	acc := Account{IBAN: ident.IBANFor("0000000042"), Token: "42424242424242424242"}
	c, ok := g.Remember(acc)
	if !ok {
		t.Fatal("new account not remembered")
	}
	m := transferOf(t, c)
	if c.Kind != Salary || m.From != ident.OwnIBAN || m.Token != bankToken || m.To != acc.IBAN ||
		m.Amount < SalaryMin || m.Amount >= SalaryMax || !strings.HasPrefix(m.Description, "salary ") {
		t.Fatalf("salary %+v", m)
	}
	if _, again := g.Remember(acc); again {
		t.Fatal("a redelivered confirmation gave a second salary")
	}
	if g.Known() != 1 {
		t.Fatalf("%d accounts known", g.Known())
	}
}

func TestAccountsAreBounded(t *testing.T) {
	a := NewAccounts(100)
	for i := range 10_000 {
		a.Add(Account{IBAN: ident.IBANFor(fmt.Sprintf("%010d", i)), Token: "t"})
	}
	if a.Len() != 100 || len(a.index) != 100 {
		t.Fatalf("%d accounts, %d index entries; want 100", a.Len(), len(a.index))
	}
	// The newest 100 are kept.
	for i := 9_900; i < 10_000; i++ {
		if !a.Contains(ident.IBANFor(fmt.Sprintf("%010d", i))) {
			t.Fatalf("account %d forgotten", i)
		}
	}
	if a.Contains(ident.IBANFor(fmt.Sprintf("%010d", 9_899))) {
		t.Fatal("account 9899 still remembered")
	}
	for slot, acc := range a.ring {
		if a.index[acc.IBAN] != slot {
			t.Fatalf("index of %s is %d, want %d", acc.IBAN, a.index[acc.IBAN], slot)
		}
	}
}

func TestPickOtherNeverPicksTheSame(t *testing.T) {
	a := autoAccounts(3)
	r := rand.New(rand.NewPCG(3, 4))
	seen := map[string]int{}
	for range 3000 {
		o, ok := a.pickOther(r, a.ring[1].IBAN)
		if !ok || o.IBAN == a.ring[1].IBAN {
			t.Fatalf("picked %+v, %v", o, ok)
		}
		seen[o.IBAN]++
	}
	if len(seen) != 2 || seen[a.ring[0].IBAN] < 1300 || seen[a.ring[2].IBAN] < 1300 {
		t.Fatalf("uneven picks %v", seen)
	}
}
