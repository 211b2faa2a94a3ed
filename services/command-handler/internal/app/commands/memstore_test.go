package commands

import (
	"context"
	"fmt"
	"maps"
	"sync"

	"openbank/services/command-handler/internal/domain/ledger"
)

// memStore keeps the accounts and handled commands in memory, for unit tests
// of the handler; the store contract (storecontract_test.go) holds it to what
// balancedb does.
type memStore struct {
	mu       sync.Mutex // one batch at a time, as the row locks make it in balancedb
	accounts map[string]ledger.Account
	handled  map[[16]byte]ledger.Handled
	down     error // when set, Decide fails with it (the database is gone)
}

func newMemStore() *memStore {
	return &memStore{accounts: map[string]ledger.Account{}, handled: map[[16]byte]ledger.Handled{}}
}

func (m *memStore) Decide(_ context.Context, _ []int32, ibans []string, ids [][16]byte,
	decide func(ledger.Book, map[[16]byte]ledger.Handled) ([]ledger.Handled, error)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down != nil {
		return m.down
	}
	book := ledger.Book{}
	for _, iban := range ibans {
		if a, ok := m.accounts[iban]; ok {
			book[iban] = &a
		}
	}
	handled := map[[16]byte]ledger.Handled{}
	for _, id := range ids {
		if h, ok := m.handled[id]; ok {
			handled[id] = h
		}
	}
	newly, err := decide(book, handled)
	if err != nil {
		return err
	}
	// All or nothing, and the same refusals as balancedb's constraints.
	accounts := maps.Clone(m.accounts)
	for iban, a := range book {
		if _, exists := m.accounts[iban]; exists && !loaded(ibans, iban) {
			return fmt.Errorf("account %s exists but was not loaded", iban)
		}
		if a.Balance < a.Limit {
			return fmt.Errorf("account %s: balance %d below its limit %d", iban, a.Balance, a.Limit)
		}
		accounts[iban] = *a
	}
	handledNow := maps.Clone(m.handled)
	for _, h := range newly {
		// As balancedb: a creation's token is derived again, never kept.
		h.Outcome.Token = ""
		if _, dup := handledNow[h.ID]; dup {
			return fmt.Errorf("command %x handled twice", h.ID)
		}
		handledNow[h.ID] = h
	}
	m.accounts, m.handled = accounts, handledNow
	return nil
}

func loaded(ibans []string, iban string) bool {
	for _, i := range ibans {
		if i == iban {
			return true
		}
	}
	return false
}
