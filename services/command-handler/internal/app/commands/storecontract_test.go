package commands

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"openbank/services/command-handler/internal/domain/ledger"
	"openbank/topology/ident"
)

// testStoreContract runs the cases every Store must pass: the in-memory one
// here, balancedb in storecontract_integration_test.go. Each case uses fresh
// ibans and ids, so a database that keeps earlier runs' rows passes too.
func testStoreContract(t *testing.T, st Store) {
	ctx := context.Background()
	iban := func() string {
		i, err := ident.NewIBAN()
		if err != nil {
			t.Fatal(err)
		}
		return i
	}
	id := func() [16]byte { return uuid.New() }
	type seen struct {
		book    ledger.Book
		handled map[[16]byte]ledger.Handled
	}
	// look runs a batch that only reads.
	look := func(ibans []string, ids ...[16]byte) seen {
		t.Helper()
		var s seen
		err := st.Decide(ctx, nil, ibans, ids, func(b ledger.Book, h map[[16]byte]ledger.Handled) ([]ledger.Handled, error) {
			s = seen{b, h}
			return nil, nil
		})
		if err != nil {
			t.Fatalf("read-only batch: %v", err)
		}
		return s
	}

	t.Run("stores new accounts and handled commands and reads them back", func(t *testing.T) {
		a, b, outside := iban(), iban(), iban()
		create, deposit, refused := id(), id(), id()
		var want []ledger.Handled
		err := st.Decide(ctx, nil, []string{a, b}, [][16]byte{create, deposit, refused},
			func(book ledger.Book, handled map[[16]byte]ledger.Handled) ([]ledger.Handled, error) {
				if len(book) != 0 || len(handled) != 0 {
					t.Errorf("fresh ibans and ids: book %v, handled %v", book, handled)
				}
				o1 := ledger.DecideAccountCreation("AUTO", a, "token-a", []byte("hash-a"), book)
				o2 := ledger.DecideTransfer(ledger.Transfer{Amount: 700, From: ident.Cash, To: a, Description: "salary"}, book)
				o3 := ledger.DecideTransfer(ledger.Transfer{TokenHash: []byte("wrong"), Amount: 5, From: a, To: outside}, book)
				if !o1.Confirmed() || !o2.Confirmed() || o3.Reason != ledger.ReasonInvalidToken {
					t.Fatalf("outcomes %+v %+v %+v", o1, o2, o3)
				}
				// A creation's token is derived, never stored (handler.go withToken).
				stored := o1
				stored.Token = ""
				want = []ledger.Handled{{ID: create, Partition: 2, Offset: 10, Outcome: stored},
					{ID: deposit, Partition: 2, Offset: 11, Outcome: o2}, {ID: refused, Partition: 5, Offset: 0, Outcome: o3}}
				return want, nil
			})
		if err != nil {
			t.Fatal(err)
		}
		s := look([]string{a, b}, create, deposit, refused, id())
		wantAccount := ledger.Account{IBAN: a, TokenHash: []byte("hash-a"), Balance: 700, Limit: ledger.DefaultLimit, AType: "AUTO"}
		if len(s.book) != 1 || s.book[a] == nil || !reflect.DeepEqual(*s.book[a], wantAccount) {
			t.Errorf("book %v, want only %+v", s.book, wantAccount)
		}
		if len(s.handled) != len(want) {
			t.Errorf("handled %d commands, want %d", len(s.handled), len(want))
		}
		for _, h := range want {
			if got := s.handled[h.ID]; !reflect.DeepEqual(got, h) {
				t.Errorf("handled %x:\n got %+v\nwant %+v", h.ID, got, h)
			}
		}
	})

	t.Run("writes changed balances and leaves the others", func(t *testing.T) {
		from, to := iban(), iban()
		open := func(book ledger.Book) []ledger.Handled {
			var hs []ledger.Handled
			for _, i := range []string{from, to} {
				hs = append(hs, ledger.Handled{ID: id(), Outcome: ledger.DecideAccountCreation("AUTO", i, "tk", []byte("tk"), book)})
			}
			return hs
		}
		if err := st.Decide(ctx, nil, []string{from, to}, nil, func(book ledger.Book, _ map[[16]byte]ledger.Handled) ([]ledger.Handled, error) {
			return open(book), nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := st.Decide(ctx, nil, []string{from, to}, nil, func(book ledger.Book, _ map[[16]byte]ledger.Handled) ([]ledger.Handled, error) {
			o := ledger.DecideTransfer(ledger.Transfer{TokenHash: []byte("tk"), Amount: 300, From: from, To: to}, book)
			book[to].Balance -= 100 // a change that comes back, as a second transfer would make it
			book[to].Balance += 100
			return []ledger.Handled{{ID: id(), Outcome: o}}, nil
		}); err != nil {
			t.Fatal(err)
		}
		s := look([]string{from, to})
		if s.book[from].Balance != -300 || s.book[to].Balance != 300 {
			t.Errorf("balances %d and %d, want -300 and 300", s.book[from].Balance, s.book[to].Balance)
		}
	})

	t.Run("stores nothing when the decision fails", func(t *testing.T) {
		a := iban()
		cmd := id()
		boom := errors.New("boom")
		err := st.Decide(ctx, nil, []string{a}, [][16]byte{cmd}, func(book ledger.Book, _ map[[16]byte]ledger.Handled) ([]ledger.Handled, error) {
			return []ledger.Handled{{ID: cmd, Outcome: ledger.DecideAccountCreation("AUTO", a, "tk", []byte("tk"), book)}}, boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Decide: %v, want boom", err)
		}
		if s := look([]string{a}, cmd); len(s.book) != 0 || len(s.handled) != 0 {
			t.Errorf("after a failed decision: book %v, handled %v", s.book, s.handled)
		}
	})

	t.Run("refuses a balance below its limit and stores nothing", func(t *testing.T) {
		a := iban()
		if err := st.Decide(ctx, nil, []string{a}, nil, func(book ledger.Book, _ map[[16]byte]ledger.Handled) ([]ledger.Handled, error) {
			ledger.DecideAccountCreation("AUTO", a, "tk", []byte("tk"), book)
			return nil, nil
		}); err != nil {
			t.Fatal(err)
		}
		cmd := id()
		err := st.Decide(ctx, nil, []string{a}, [][16]byte{cmd}, func(book ledger.Book, _ map[[16]byte]ledger.Handled) ([]ledger.Handled, error) {
			book[a].Balance = book[a].Limit - 1 // the rules never do this; the store holds them to it
			return []ledger.Handled{{ID: cmd, Outcome: ledger.Outcome{Kind: ledger.KindMoneyTransfer}}}, nil
		})
		if err == nil {
			t.Fatal("a balance below its limit was stored")
		}
		if s := look([]string{a}, cmd); s.book[a].Balance != 0 || len(s.handled) != 0 {
			t.Errorf("after the refusal: balance %d, handled %v", s.book[a].Balance, s.handled)
		}
	})
}

func TestMemStoreKeepsTheStoreContract(t *testing.T) {
	testStoreContract(t, newMemStore())
}
