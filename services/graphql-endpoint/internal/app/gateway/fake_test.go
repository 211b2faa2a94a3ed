package gateway

import (
	"context"
	"slices"
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
	txs       []transaction.Transaction
	progress  map[int32]int64
	// committed, if set, runs when AddTransactions has stored its rows (where
	// PostgreSQL notifies the listeners).
	committed func(stored []transaction.Transaction)
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

func (m *memStore) CreationOutcome(_ context.Context, id ident.CommandID) (account.Creation, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, a := range m.accounts {
		if a.CreationID == id {
			return account.Creation{CreationID: id, IBAN: a.IBAN, Token: a.Token}, !a.Pending(), nil
		}
	}
	return account.Creation{CreationID: id}, true, nil
}

// RecordFeedback stores answers to commands it knows, as the store does.
func (m *memStore) RecordFeedback(_ context.Context, creations []account.Creation, results []transfer.Result) (
	[]account.Creation, []transfer.Result, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var doneC []account.Creation
	for _, c := range creations {
		for name, a := range m.accounts {
			if a.CreationID != c.CreationID || !a.Pending() {
				continue
			}
			if c.IBAN == "" {
				delete(m.accounts, name)
			} else {
				a.IBAN, a.Token = c.IBAN, c.Token
				m.accounts[name] = a
			}
			doneC = append(doneC, c)
		}
	}
	var doneR []transfer.Result
	for _, r := range results {
		if old, ok := m.transfers[r.ID]; ok && !old.Known {
			m.transfers[r.ID] = r
			doneR = append(doneR, r)
		}
	}
	return doneC, doneR, nil
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

func (m *memStore) AddTransactions(_ context.Context, txs []transaction.Transaction, progress map[int32]int64) ([]transaction.Transaction, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for p, o := range progress {
		m.progress[p] = max(m.progress[p], o)
	}
	var inserted []transaction.Transaction
	for _, t := range txs {
		if !slices.ContainsFunc(m.txs, func(old transaction.Transaction) bool {
			return old.CommandID == t.CommandID && old.IBAN == t.IBAN
		}) {
			t.ID = int64(len(m.txs) + 1)
			m.txs = append(m.txs, t)
			inserted = append(inserted, t)
		}
	}
	if m.committed != nil {
		m.committed(inserted)
	}
	return inserted, nil
}

// Stream reads rows after cursor per partition, in offset order.
func (m *memStore) Stream(_ context.Context, cursor map[int32]int64, limit int) ([]transaction.Transaction, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []transaction.Transaction
	n := map[int32]int{}
	sorted := slices.SortedStableFunc(slices.Values(m.txs), transaction.ByPlace)
	for _, t := range sorted {
		last, ok := cursor[t.Partition]
		if (ok && t.Offset <= last) || n[t.Partition] >= limit {
			continue
		}
		n[t.Partition]++
		out = append(out, t)
	}
	for _, t := range out {
		cursor[t.Partition] = max(cursor[t.Partition], t.Offset)
	}
	return out, nil
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

func (p *published) all() []transaction.Transaction {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.txs)
}
