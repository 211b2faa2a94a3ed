package graph

import (
	"context"
	"testing"

	"openbank/services/graphql-endpoint/internal/domain/transaction"
)

// memTransactions is transactiondb's transactions in memory, newest last.
type memTransactions struct {
	txs     []transaction.Transaction
	queries int
}

func (m *memTransactions) TransactionByID(_ context.Context, id int64) (transaction.Transaction, bool, error) {
	m.queries++
	for _, t := range m.txs {
		if t.ID == id {
			return t, true, nil
		}
	}
	return transaction.Transaction{}, false, nil
}

func (m *memTransactions) TransactionsByIBAN(_ context.Context, iban string, limit int) ([]transaction.Transaction, error) {
	m.queries++
	var out []transaction.Transaction
	for i := len(m.txs) - 1; i >= 0 && len(out) < limit; i-- {
		if m.txs[i].IBAN == iban {
			out = append(out, m.txs[i])
		}
	}
	return out, nil
}

func (m *memTransactions) LastTransactions(_ context.Context, limit int) ([]transaction.Transaction, error) {
	m.queries++
	last := map[string]transaction.Transaction{}
	var ibans []string
	for _, t := range m.txs {
		if _, ok := last[t.IBAN]; !ok {
			ibans = append(ibans, t.IBAN)
		}
		last[t.IBAN] = t
	}
	var out []transaction.Transaction
	for _, iban := range ibans[:min(limit, len(ibans))] {
		out = append(out, last[iban])
	}
	return out, nil
}

func TestQueries(t *testing.T) {
	ctx := context.Background()
	db := &memTransactions{txs: []transaction.Transaction{
		{ID: 1, IBAN: "A", ChangedBy: 100, NewBalance: 100},
		{ID: 2, IBAN: "B", ChangedBy: 5, NewBalance: 5},
		{ID: 3, IBAN: "A", ChangedBy: -50, NewBalance: 50},
	}}
	q := queryResolver{&Resolver{Transactions: db, MaxLastTransactions: 1}}
	if m, err := q.TransactionByID(ctx, 9); m != nil || err != nil {
		t.Errorf("an unknown id: %+v %v, want null", m, err)
	}
	if m, err := q.TransactionByID(ctx, 3); err != nil || m.ID != 3 || *m.NewBalance != "€0,50" {
		t.Errorf("transaction 3: %+v %v", m, err)
	}
	ms, err := q.TransactionsByIban(ctx, "A", 1)
	if err != nil || len(ms) != 1 || ms[0].ID != 3 {
		t.Errorf("transactions_by_iban A, 1: %+v %v, want the newest", ms, err)
	}
	if ms, err := q.AllLastTransactions(ctx); err != nil || len(ms) != 1 || ms[0].ID != 3 {
		t.Errorf("all_last_transactions with MaxLastTransactions 1: %+v %v", ms, err)
	}
	before := db.queries
	if _, err := q.TransactionsByIban(ctx, "A", 0); err == nil {
		t.Error("max_items 0 accepted")
	}
	if _, err := q.TransactionsByIban(ctx, "A\x00", 10); err == nil {
		t.Error("an iban with a control character accepted")
	}
	if db.queries != before {
		t.Error("bad arguments reached the database")
	}
}
