package ledger

import (
	"math"
	"reflect"
	"testing"

	"openbank/topology/ident"
	"openbank/topology/records"
)

var (
	alice = ident.IBANFor("0000000001")
	bob   = ident.IBANFor("0000000002")
	// ghost is a well-formed iban of this bank without an account.
	ghost = ident.IBANFor("0000000003")
)

const (
	aliceToken = "11111111111111111111"
	bobToken   = "22222222222222222222"
	bankToken  = "bank-token-from-configuration"
)

// book returns fresh accounts: alice and bob with the given balances, and the
// bank's own account as the migrations seed it.
func book(aliceBalance, bobBalance int64) Book {
	return Book{
		alice:         {IBAN: alice, TokenHash: []byte(aliceToken), Balance: aliceBalance, Limit: DefaultLimit, AType: records.AtypeManual},
		bob:           {IBAN: bob, TokenHash: []byte(bobToken), Balance: bobBalance, Limit: DefaultLimit, AType: records.AtypeAuto},
		ident.OwnIBAN: {IBAN: ident.OwnIBAN, TokenHash: []byte(bankToken), Balance: 100_000_000_000_000_000, Limit: DefaultLimit, AType: records.AtypeAuto},
	}
}

func TestDecideTransfer(t *testing.T) {
	tests := []struct {
		name     string
		book     Book
		transfer Transfer
		reason   string
		// balances after the decision, for the accounts named
		want map[string]int64
		// expected events (nil: none)
		changes []*records.BalanceChanged
	}{
		{
			name:     "transfer between accounts",
			book:     book(10_000, 0),
			transfer: Transfer{TokenHash: []byte(aliceToken), Amount: 2_500, From: alice, To: bob, Description: "rent"},
			want:     map[string]int64{alice: 7_500, bob: 2_500},
			changes: []*records.BalanceChanged{
				{IBAN: alice, NewBalance: 7_500, ChangedBy: -2_500, FromTo: bob, Description: "rent"},
				{IBAN: bob, NewBalance: 2_500, ChangedBy: 2_500, FromTo: alice, Description: "rent"},
			},
		},
		{
			name:     "deposit from cash is credited without a token",
			book:     book(0, 0),
			transfer: Transfer{TokenHash: []byte("cash"), Amount: 1_000, From: "cash", To: alice, Description: "deposit"},
			want:     map[string]int64{alice: 1_000},
			changes:  []*records.BalanceChanged{{IBAN: alice, NewBalance: 1_000, ChangedBy: 1_000, FromTo: "cash", Description: "deposit"}},
		},
		{
			name:     "deposit with any token",
			book:     book(0, 0),
			transfer: Transfer{TokenHash: []byte("whatever"), Amount: 1, From: "cash", To: bob},
			want:     map[string]int64{bob: 1},
			changes:  []*records.BalanceChanged{{IBAN: bob, NewBalance: 1, ChangedBy: 1, FromTo: "cash"}},
		},
		{
			name:     "withdrawal to cash debits only",
			book:     book(5_000, 0),
			transfer: Transfer{TokenHash: []byte(aliceToken), Amount: 5_000, From: alice, To: "cash", Description: "atm"},
			want:     map[string]int64{alice: 0},
			changes:  []*records.BalanceChanged{{IBAN: alice, NewBalance: 0, ChangedBy: -5_000, FromTo: "cash", Description: "atm"}},
		},
		{
			name:     "payment to an external party debits only",
			book:     book(0, 0),
			transfer: Transfer{TokenHash: []byte(aliceToken), Amount: 300, From: alice, To: "NL91ABNA0417164300", Description: "shop"},
			want:     map[string]int64{alice: -300},
			changes:  []*records.BalanceChanged{{IBAN: alice, NewBalance: -300, ChangedBy: -300, FromTo: "NL91ABNA0417164300", Description: "shop"}},
		},
		{
			name:     "payment to a shop name",
			book:     book(100, 0),
			transfer: Transfer{TokenHash: []byte(aliceToken), Amount: 100, From: alice, To: "Albert Heijn"},
			want:     map[string]int64{alice: 0},
			changes:  []*records.BalanceChanged{{IBAN: alice, NewBalance: 0, ChangedBy: -100, FromTo: "Albert Heijn"}},
		},
		{
			name:     "payment to an unknown iban of this bank debits only",
			book:     book(100, 0),
			transfer: Transfer{TokenHash: []byte(aliceToken), Amount: 100, From: alice, To: ghost},
			want:     map[string]int64{alice: 0},
			changes:  []*records.BalanceChanged{{IBAN: alice, NewBalance: 0, ChangedBy: -100, FromTo: ghost}},
		},
		{
			name:     "transfer to the bank's own account",
			book:     book(1_000, 0),
			transfer: Transfer{TokenHash: []byte(aliceToken), Amount: 1_000, From: alice, To: ident.OwnIBAN, Description: "fee"},
			want:     map[string]int64{alice: 0, ident.OwnIBAN: 100_000_000_000_001_000},
			changes: []*records.BalanceChanged{
				{IBAN: alice, NewBalance: 0, ChangedBy: -1_000, FromTo: ident.OwnIBAN, Description: "fee"},
				{IBAN: ident.OwnIBAN, NewBalance: 100_000_000_000_001_000, ChangedBy: 1_000, FromTo: alice, Description: "fee"},
			},
		},
		{
			name:     "the bank's own account pays with its token",
			book:     book(0, 0),
			transfer: Transfer{TokenHash: []byte(bankToken), Amount: 50, From: ident.OwnIBAN, To: bob},
			want:     map[string]int64{ident.OwnIBAN: 99_999_999_999_999_950, bob: 50},
			changes: []*records.BalanceChanged{
				{IBAN: ident.OwnIBAN, NewBalance: 99_999_999_999_999_950, ChangedBy: -50, FromTo: bob},
				{IBAN: bob, NewBalance: 50, ChangedBy: 50, FromTo: ident.OwnIBAN},
			},
		},
		{
			name:     "limit exactly reached",
			book:     book(0, 0),
			transfer: Transfer{TokenHash: []byte(aliceToken), Amount: 50_000, From: alice, To: bob},
			want:     map[string]int64{alice: -50_000, bob: 50_000},
			changes: []*records.BalanceChanged{
				{IBAN: alice, NewBalance: -50_000, ChangedBy: -50_000, FromTo: bob},
				{IBAN: bob, NewBalance: 50_000, ChangedBy: 50_000, FromTo: alice},
			},
		},
		{
			name:     "one cent past the limit",
			book:     book(0, 0),
			transfer: Transfer{TokenHash: []byte(aliceToken), Amount: 50_001, From: alice, To: bob},
			reason:   ReasonInsufficientFunds,
			want:     map[string]int64{alice: 0, bob: 0},
		},
		{
			name:     "already at the limit",
			book:     book(-50_000, 0),
			transfer: Transfer{TokenHash: []byte(aliceToken), Amount: 1, From: alice, To: bob},
			reason:   ReasonInsufficientFunds,
			want:     map[string]int64{alice: -50_000, bob: 0},
		},
		{
			name:     "largest amount from an account at its limit",
			book:     book(-50_000, 0),
			transfer: Transfer{TokenHash: []byte(aliceToken), Amount: math.MaxInt64, From: alice, To: "cash"},
			reason:   ReasonInsufficientFunds,
			want:     map[string]int64{alice: -50_000},
		},
		{
			name:     "balance near the int64 maximum can pay the largest amount minus the gap",
			book:     book(math.MaxInt64, 0),
			transfer: Transfer{TokenHash: []byte(aliceToken), Amount: math.MaxInt64, From: alice, To: "cash"},
			want:     map[string]int64{alice: 0},
			changes:  []*records.BalanceChanged{{IBAN: alice, NewBalance: 0, ChangedBy: -math.MaxInt64, FromTo: "cash"}},
		},
		{
			name:     "credit that would overflow int64",
			book:     book(0, math.MaxInt64-10),
			transfer: Transfer{Amount: 11, From: "cash", To: bob},
			reason:   ReasonInvalidAmount,
			want:     map[string]int64{bob: math.MaxInt64 - 10},
		},
		{
			name:     "credit up to exactly the int64 maximum",
			book:     book(0, math.MaxInt64-10),
			transfer: Transfer{Amount: 10, From: "cash", To: bob},
			want:     map[string]int64{bob: math.MaxInt64},
			changes:  []*records.BalanceChanged{{IBAN: bob, NewBalance: math.MaxInt64, ChangedBy: 10, FromTo: "cash"}},
		},
		{
			name:     "overflowing credit leaves the debited side alone",
			book:     book(100, math.MaxInt64),
			transfer: Transfer{TokenHash: []byte(aliceToken), Amount: 1, From: alice, To: bob},
			reason:   ReasonInvalidAmount,
			want:     map[string]int64{alice: 100, bob: math.MaxInt64},
		},
		{
			name:     "from garbage",
			book:     book(0, 0),
			transfer: Transfer{TokenHash: []byte(aliceToken), Amount: 1, From: "my piggy bank", To: bob},
			reason:   ReasonFromInvalid,
			want:     map[string]int64{bob: 0},
		},
		{
			name:     "from an iban with a wrong check digit",
			book:     book(0, 0),
			transfer: Transfer{Amount: 1, From: "NL00OPEN0000000001", To: bob},
			reason:   ReasonFromInvalid,
		},
		{
			name:     "from another bank's iban",
			book:     book(0, 0),
			transfer: Transfer{Amount: 1, From: "NL91ABNA0417164300", To: bob},
			reason:   ReasonFromInvalid,
		},
		{
			name:     "from a well-formed iban without an account (the original credited to)",
			book:     book(0, 0),
			transfer: Transfer{Amount: 1, From: ghost, To: bob},
			reason:   ReasonFromInvalid,
			want:     map[string]int64{bob: 0},
		},
		{
			name:     "from invalid is checked before same from and to",
			book:     book(0, 0),
			transfer: Transfer{Amount: 1, From: ghost, To: ghost},
			reason:   ReasonFromInvalid,
		},
		{
			name:     "same from and to",
			book:     book(1_000, 0),
			transfer: Transfer{TokenHash: []byte(aliceToken), Amount: 1, From: alice, To: alice},
			reason:   ReasonSameAccount,
			want:     map[string]int64{alice: 1_000},
		},
		{
			name:     "cash to cash",
			book:     book(0, 0),
			transfer: Transfer{Amount: 1, From: "cash", To: "cash"},
			reason:   ReasonSameAccount,
		},
		{
			name:     "same from and to is checked before the token",
			book:     book(0, 0),
			transfer: Transfer{TokenHash: []byte("wrong"), Amount: 1, From: alice, To: alice},
			reason:   ReasonSameAccount,
		},
		{
			name:     "zero amount",
			book:     book(1_000, 0),
			transfer: Transfer{TokenHash: []byte(aliceToken), Amount: 0, From: alice, To: bob},
			reason:   ReasonInvalidAmount,
			want:     map[string]int64{alice: 1_000, bob: 0},
		},
		{
			name:     "negative amount would take money from to",
			book:     book(0, 1_000),
			transfer: Transfer{TokenHash: []byte(aliceToken), Amount: -500, From: alice, To: bob},
			reason:   ReasonInvalidAmount,
			want:     map[string]int64{alice: 0, bob: 1_000},
		},
		{
			name:     "most negative amount",
			book:     book(0, 0),
			transfer: Transfer{Amount: math.MinInt64, From: "cash", To: bob},
			reason:   ReasonInvalidAmount,
			want:     map[string]int64{bob: 0},
		},
		{
			name:     "invalid amount is checked before the token",
			book:     book(0, 0),
			transfer: Transfer{TokenHash: []byte("wrong"), Amount: 0, From: alice, To: bob},
			reason:   ReasonInvalidAmount,
		},
		{
			name:     "wrong token",
			book:     book(1_000, 0),
			transfer: Transfer{TokenHash: []byte(bobToken), Amount: 1, From: alice, To: bob},
			reason:   ReasonInvalidToken,
			want:     map[string]int64{alice: 1_000, bob: 0},
		},
		{
			name:     "empty token",
			book:     book(1_000, 0),
			transfer: Transfer{Amount: 1, From: alice, To: "cash"},
			reason:   ReasonInvalidToken,
		},
		{
			name:     "token is checked before the funds",
			book:     book(0, 0),
			transfer: Transfer{TokenHash: []byte("wrong"), Amount: 1_000_000, From: alice, To: bob},
			reason:   ReasonInvalidToken,
		},
		{
			name:     "deposit to an external party",
			book:     book(0, 0),
			transfer: Transfer{Amount: 1, From: "cash", To: "NL91ABNA0417164300"},
			reason:   ReasonBothUnknown,
		},
		{
			name:     "deposit to an unknown iban of this bank",
			book:     book(0, 0),
			transfer: Transfer{Amount: 1, From: "cash", To: ghost},
			reason:   ReasonBothUnknown,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := DecideTransfer(tt.transfer, tt.book)
			if o.Reason != tt.reason {
				t.Fatalf("reason %q, want %q", o.Reason, tt.reason)
			}
			if o.Kind != KindMoneyTransfer || o.Transfer.TokenHash != nil {
				t.Errorf("outcome %+v: want a money transfer without the token's hash", o)
			}
			for iban, want := range tt.want {
				if got := tt.book[iban].Balance; got != want {
					t.Errorf("balance of %s is %d, want %d", iban, got, want)
				}
			}
			if got := o.BalanceChanges(); !reflect.DeepEqual(got, tt.changes) {
				t.Errorf("balance changes\n got %+v\nwant %+v", got, tt.changes)
			}
			id := [16]byte{1, 2, 3}
			switch fb := o.Feedback(id).(type) {
			case *records.MoneyTransferConfirmed:
				if tt.reason != "" || fb.ID != id {
					t.Errorf("feedback %+v for reason %q", fb, tt.reason)
				}
			case *records.MoneyTransferFailed:
				if fb.Reason != tt.reason || fb.ID != id {
					t.Errorf("feedback %+v for reason %q", fb, tt.reason)
				}
			default:
				t.Errorf("feedback %T", fb)
			}
		})
	}
}

func TestDecideTransferSeesEarlierCommandsOfTheBatch(t *testing.T) {
	b := book(100, 0)
	first := DecideTransfer(Transfer{TokenHash: []byte(aliceToken), Amount: 100, From: alice, To: bob}, b)
	second := DecideTransfer(Transfer{TokenHash: []byte(aliceToken), Amount: 50_001, From: alice, To: bob}, b)
	third := DecideTransfer(Transfer{TokenHash: []byte(aliceToken), Amount: 50_000, From: alice, To: bob}, b)
	if !first.Confirmed() || second.Reason != ReasonInsufficientFunds || !third.Confirmed() {
		t.Fatalf("outcomes %q %q %q", first.Reason, second.Reason, third.Reason)
	}
	if b[alice].Balance != -50_000 || b[bob].Balance != 50_100 {
		t.Fatalf("balances %d %d", b[alice].Balance, b[bob].Balance)
	}
	if third.FromBalance != -50_000 || third.ToBalance != 50_100 {
		t.Fatalf("third outcome %+v", third)
	}
}

func TestDecideAccountCreation(t *testing.T) {
	tests := []struct {
		name   string
		iban   string
		aType  string
		reason string
	}{
		{name: "new iban", iban: ghost, aType: records.AtypeManual},
		{name: "automatic account", iban: ghost, aType: records.AtypeAuto},
		{name: "iban of an existing account", iban: alice, aType: records.AtypeManual, reason: ReasonIBANExists},
		{name: "the bank's own iban", iban: ident.OwnIBAN, aType: records.AtypeAuto, reason: ReasonIBANExists},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := book(0, 0)
			before := *b[alice]
			o := DecideAccountCreation(tt.aType, tt.iban, "33333333333333333333", []byte("hash"), b)
			if o.Reason != tt.reason || o.Kind != KindAccountCreation {
				t.Fatalf("outcome %+v, want reason %q", o, tt.reason)
			}
			if changes := o.BalanceChanges(); changes != nil {
				t.Errorf("account creation changed balances: %+v", changes)
			}
			id := [16]byte{9}
			if tt.reason != "" {
				if !reflect.DeepEqual(*b[alice], before) {
					t.Errorf("existing account changed: %+v", b[alice])
				}
				want := &records.AccountCreationFailed{ID: id, Reason: tt.reason}
				if fb := o.Feedback(id); !reflect.DeepEqual(fb, want) {
					t.Errorf("feedback %+v, want %+v", fb, want)
				}
				return
			}
			want := Account{IBAN: tt.iban, TokenHash: []byte("hash"), Balance: 0, Limit: DefaultLimit, AType: tt.aType}
			if got := b[tt.iban]; got == nil || !reflect.DeepEqual(*got, want) {
				t.Errorf("account %+v, want %+v", got, want)
			}
			wantFb := &records.AccountCreationConfirmed{ID: id, IBAN: tt.iban, Token: "33333333333333333333", AType: tt.aType}
			if fb := o.Feedback(id); !reflect.DeepEqual(fb, wantFb) {
				t.Errorf("feedback %+v, want %+v", fb, wantFb)
			}
		})
	}
}

func TestTwoCreationsOfOneIBANInABatch(t *testing.T) {
	b := Book{}
	first := DecideAccountCreation(records.AtypeAuto, ghost, "1", []byte("h1"), b)
	second := DecideAccountCreation(records.AtypeAuto, ghost, "2", []byte("h2"), b)
	if !first.Confirmed() || second.Reason != ReasonIBANExists || string(b[ghost].TokenHash) != "h1" {
		t.Fatalf("first %+v second %+v account %+v", first, second, b[ghost])
	}
}

// An account without a token hash (the bank's own before start-up sets it)
// opens to no token, not even an empty one.
func TestAccountWithoutHashOpensToNoToken(t *testing.T) {
	for _, hash := range [][]byte{nil, {}, []byte(bankToken)} {
		b := book(0, 0)
		b[ident.OwnIBAN].TokenHash = nil
		o := DecideTransfer(Transfer{TokenHash: hash, Amount: 1, From: ident.OwnIBAN, To: alice}, b)
		if o.Reason != ReasonInvalidToken {
			t.Errorf("hash %q: reason %q, want %q", hash, o.Reason, ReasonInvalidToken)
		}
	}
}
