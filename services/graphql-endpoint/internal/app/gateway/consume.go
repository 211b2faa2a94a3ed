package gateway

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"openbank/messaging"
	"openbank/services/graphql-endpoint/internal/domain/account"
	"openbank/services/graphql-endpoint/internal/domain/transaction"
	"openbank/services/graphql-endpoint/internal/domain/transfer"
	"openbank/topology"
	"openbank/topology/ident"
	"openbank/topology/records"
)

// HandleFeedback is the handler of the feedback consumer (one group shared
// by every instance: each answer is read by one). It stores the answers to
// commands sent through any instance; storing notifies every instance, which
// wakes whoever waits there (Deliver). Waiters here are woken at once.
func (g *Gateway) HandleFeedback(ctx context.Context, batch []messaging.Delivery) (err error) {
	ev := consume(ctx, g.opts.Metrics.Hops, "feedback consumed", batch, g.opts.StreamSince)
	defer func() { ev.end(err) }()
	var creations []account.Creation
	var results []transfer.Result
	for _, d := range batch {
		switch r := d.Record.(type) {
		case *records.AccountCreationConfirmed:
			creations = append(creations, account.Creation{CreationID: ident.CommandIDFromFixed(r.ID), IBAN: r.IBAN, Token: r.Token})
		case *records.AccountCreationFailed:
			creations = append(creations, account.Creation{CreationID: ident.CommandIDFromFixed(r.ID), Reason: r.Reason})
		case *records.MoneyTransferConfirmed:
			results = append(results, transfer.Result{ID: ident.CommandIDFromFixed(r.ID), Known: true, Success: true})
		case *records.MoneyTransferFailed:
			results = append(results, transfer.Result{ID: ident.CommandIDFromFixed(r.ID), Known: true, Reason: r.Reason})
		}
	}
	creations, results, err = g.store.RecordFeedback(ctx, creations, results)
	if err != nil {
		return err
	}
	ev.storedNow()
	g.Deliver(creations, results)
	return nil
}

// HandleBalanceChanged is the handler of the balance_changed consumer (one
// group shared by every instance: each partition is stored by one). It
// stores each change once and hands what it stored to its own subscribers;
// every other instance streams it from transactiondb (Follow).
func (g *Gateway) HandleBalanceChanged(ctx context.Context, batch []messaging.Delivery) (err error) {
	ev := consume(ctx, g.opts.Metrics.Hops, "balance_changed consumed", batch, g.opts.StreamSince)
	defer func() { ev.end(err) }()
	// In (partition, offset) order: see store.AddTransactions.
	byPlace := func(a, b messaging.Delivery) int {
		return cmp.Or(cmp.Compare(a.Partition, b.Partition), cmp.Compare(a.Offset, b.Offset))
	}
	if !slices.IsSortedFunc(batch, byPlace) {
		batch = slices.Clone(batch) // the consumer's
		slices.SortStableFunc(batch, byPlace)
	}
	first, last, next := map[int32]int64{}, map[int32]int64{}, map[int32]int64{}
	for _, d := range batch {
		if _, ok := first[d.Partition]; !ok {
			first[d.Partition] = d.Offset
		}
		last[d.Partition] = d.Offset
		next[d.Partition] = d.Offset + 1
	}
	changes := map[int32]int{}
	txs := make([]transaction.Transaction, 0, len(batch))
	for _, d := range batch {
		bc, ok := d.Record.(*records.BalanceChanged)
		if !ok {
			continue
		}
		cmd := d.Header(topology.HeaderCommandID)
		if cmd == "" {
			// Every event should carry it; without, the record's place identifies it.
			cmd = fmt.Sprintf("%s/%d/%d", d.Topic, d.Partition, d.Offset)
			g.log.Warn("BalanceChanged without command-id header", "partition", d.Partition, "offset", d.Offset)
		}
		txs = append(txs, transaction.Transaction{CommandID: cmd, IBAN: bc.IBAN, NewBalance: bc.NewBalance,
			ChangedBy: bc.ChangedBy, FromTo: bc.FromTo, Descr: bc.Description,
			Partition: d.Partition, Offset: d.Offset, At: d.Timestamp})
		changes[d.Partition]++
	}
	start := time.Now()
	g.streamed.beginStoring(last)
	inserted, err := g.store.AddTransactions(ctx, txs, next)
	if err != nil {
		g.storeFailed(last)
		return err
	}
	g.opts.Metrics.StoreBatch.UpdateDuration(start)
	g.opts.Metrics.TransactionsOffered.Add(len(txs))
	g.opts.Metrics.TransactionsStored.Add(len(inserted))
	ev.storedNow()
	slices.SortFunc(inserted, transaction.ByPlace)
	if !g.handStored(first, last, changes, inserted) {
		g.Kick()
	}
	return nil
}
