package gateway

import (
	"context"
	"sync"
	"time"

	"openbank/messaging"
	"openbank/services/graphql-endpoint/internal/domain/account"
	"openbank/services/graphql-endpoint/internal/domain/transaction"
	"openbank/services/graphql-endpoint/internal/domain/transfer"
	"openbank/topology/ident"
)

// memStore is transactiondb in memory, with the store's rules: a pending
// account until its answer, a transfer claimed once, each (command id, iban)
// stored once, progress only forward.
type memStore struct {
	mu        sync.Mutex
	accounts  map[string]account.Account
	transfers map[ident.CommandID]transfer.Result
	sent      map[ident.CommandID]transfer.Command
	txs       []transaction.Stored // Inserted unused; StoredAt as transactiondb keeps it
	progress  map[int32]int64
}

func newMemStore() *memStore {
	return &memStore{accounts: map[string]account.Account{}, transfers: map[ident.CommandID]transfer.Result{},
		sent: map[ident.CommandID]transfer.Command{}, progress: map[int32]int64{}}
}

func (m *memStore) AccountByUsername(_ context.Context, username string) (account.Account, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.accounts[username]
	return a, ok, nil
}

func (m *memStore) AddPendingAccount(_ context.Context, a account.Account) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, taken := m.accounts[a.Username]; taken {
		return false, nil
	}
	m.accounts[a.Username] = a
	return true, nil
}

func (m *memStore) DropPendingAccount(_ context.Context, id ident.CommandID) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, a := range m.accounts {
		if a.CreationID == id && a.Pending() {
			delete(m.accounts, name)
		}
	}
	return nil
}

func (m *memStore) RecordAccountCreations(ctx context.Context, answers []account.Creation) error {
	for _, c := range answers {
		if c.IBAN == "" {
			_ = m.DropPendingAccount(ctx, c.CreationID)
			continue
		}
		m.mu.Lock()
		for name, a := range m.accounts {
			if a.CreationID == c.CreationID && a.Pending() {
				a.IBAN, a.Token = c.IBAN, c.Token
				m.accounts[name] = a
			}
		}
		m.mu.Unlock()
	}
	return nil
}

func (m *memStore) ClaimTransfer(_ context.Context, cmd transfer.Command) (bool, transfer.Result, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.transfers[cmd.ID]; ok {
		return false, r, nil
	}
	m.transfers[cmd.ID] = transfer.Result{ID: cmd.ID}
	m.sent[cmd.ID] = cmd
	return true, transfer.Result{ID: cmd.ID}, nil
}

func (m *memStore) TransferResult(_ context.Context, id ident.CommandID) (transfer.Result, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.transfers[id]
	if !ok {
		return transfer.Result{ID: id}, nil
	}
	return r, nil
}

func (m *memStore) ResendDue(_ context.Context, cmd transfer.Command, _ time.Duration) (transfer.Command, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r := m.transfers[cmd.ID]; r.Known {
		return cmd, false, nil
	}
	return m.sent[cmd.ID], true, nil // as if whoever sent it has stopped waiting
}

func (m *memStore) SendFailed(context.Context, ident.CommandID) error { return nil }

func (m *memStore) RecordTransferResults(_ context.Context, results []transfer.Result) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range results {
		if old, ok := m.transfers[r.ID]; ok && !old.Known {
			m.transfers[r.ID] = r
		}
	}
	return nil
}

func (m *memStore) AddTransactions(_ context.Context, txs []transaction.Transaction, progress map[int32]int64) ([]transaction.Stored, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for p, o := range progress {
		m.progress[p] = max(m.progress[p], o)
	}
	var stored []transaction.Stored
	for _, t := range txs {
		found := false
		for _, old := range m.txs {
			if old.CommandID == t.CommandID && old.IBAN == t.IBAN {
				stored, found = append(stored, old), true
				break
			}
		}
		if !found {
			row := m.insert(t, time.Now())
			row.Inserted = true
			stored = append(stored, row)
		}
	}
	return stored, nil
}

// insert adds a row as stored at at (by this gateway, or, called by a test,
// by another instance).
func (m *memStore) insert(t transaction.Transaction, at time.Time) transaction.Stored {
	t.ID = int64(len(m.txs) + 1)
	row := transaction.Stored{Transaction: t, StoredAt: at}
	m.txs = append(m.txs, row)
	return row
}

// answeringSender is Kafka with a command handler behind it: each command
// sent gets answer's records handed to the gateway's feedback handler.
type answeringSender struct {
	mu     sync.Mutex
	sent   []messaging.Message
	answer func(messaging.Message) []messaging.Delivery
	g      *Gateway
}

func (s *answeringSender) Send(ctx context.Context, msgs ...messaging.Message) error {
	s.mu.Lock()
	s.sent = append(s.sent, msgs...)
	s.mu.Unlock()
	for _, m := range msgs {
		if s.answer == nil {
			continue
		}
		if batch := s.answer(m); len(batch) > 0 {
			go func() { _ = s.g.HandleFeedback(context.Background(), batch) }()
		}
	}
	return nil
}

func (s *answeringSender) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sent)
}

// published keeps what the gateway streams.
type published struct {
	mu  sync.Mutex
	txs []transaction.Transaction
}

func (p *published) Publish(txs []transaction.Transaction) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.txs = append(p.txs, txs...)
}
