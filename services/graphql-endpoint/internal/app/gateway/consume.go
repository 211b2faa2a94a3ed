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

// HandleFeedback is the handler of the feedback consumer: it stores the
// answers (first) and then wakes whoever waits for them.
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
	if err := g.store.RecordAccountCreations(ctx, creations); err != nil {
		return err
	}
	if err := g.store.RecordTransferResults(ctx, results); err != nil {
		return err
	}
	ev.storedNow()
	for _, c := range creations {
		g.accounts.Deliver(c.CreationID, c)
	}
	for _, r := range results {
		g.transfers.Deliver(r.ID, r)
	}
	return nil
}

// HandleBalanceChanged is the handler of the balance_changed consumer: it
// stores each change once and streams what the database holds.
func (g *Gateway) HandleBalanceChanged(ctx context.Context, batch []messaging.Delivery) (err error) {
	ev := consume(ctx, g.opts.Metrics.Hops, "balance_changed consumed", batch, g.opts.StreamSince)
	defer func() { ev.end(err) }()
	// In (partition, offset) order: see store.AddTransactions. One partition's
	// records (one iban's) keep their order, so their row ids do too.
	batch = slices.Clone(batch)
	slices.SortStableFunc(batch, func(a, b messaging.Delivery) int {
		return cmp.Or(cmp.Compare(a.Partition, b.Partition), cmp.Compare(a.Offset, b.Offset))
	})
	next := map[int32]int64{}
	for _, d := range batch {
		next[d.Partition] = max(next[d.Partition], d.Offset+1)
	}
	txs := make([]transaction.Transaction, 0, len(batch))
	recent := make(map[string]time.Time, len(batch)) // command id + iban -> Kafka timestamp, since StreamSince
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
			ChangedBy: bc.ChangedBy, FromTo: bc.FromTo, Descr: bc.Description})
		if !d.Timestamp.Before(g.opts.StreamSince) {
			recent[cmd+"\x00"+bc.IBAN] = d.Timestamp
		}
	}
	start := time.Now()
	stored, err := g.store.AddTransactions(ctx, txs, next)
	if err != nil {
		return err
	}
	g.opts.Metrics.StoreBatch.Observe(time.Since(start).Seconds())
	ev.storedNow()
	// Every row stored while this process runs is streamed, so a client that
	// subscribes and then reads its history misses nothing, also while this
	// process or another instance catches up.
	streamed := make([]transaction.Transaction, 0, len(stored))
	inserted := 0
	for _, t := range stored {
		if t.Inserted {
			inserted++
		}
		if !t.Inserted && t.StoredAt.Before(g.opts.StreamSince) {
			continue
		}
		streamed = append(streamed, t.Transaction)
		if ts, ok := recent[t.CommandID+"\x00"+t.IBAN]; ok {
			g.opts.Metrics.StreamLag.Observe(time.Since(ts).Seconds())
		}
	}
	g.opts.Metrics.TransactionsStored.Add(float64(inserted))
	g.hub.Publish(streamed)
	return nil
}
