package chaos

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"openbank/messaging"
	"openbank/topology"
	"openbank/topology/records"
	"openbank/topology/serde"
)

// Groups are the consumer groups whose lag must be 0 after the run.
type Groups struct {
	Handler, Gateway, Generator string
}

// Lags reads every group's committed offsets against the end of its topics.
func Lags(ctx context.Context, admin *messaging.Admin, g Groups) ([]Lag, error) {
	var out []Lag
	for _, gt := range []struct{ group, topic string }{
		{g.Handler, topology.TopicCommands},
		{g.Gateway + "-transactions", topology.TopicBalanceChanged},
		{g.Gateway + "-feedback", topology.TopicAccountCreationFeedback},
		{g.Gateway + "-feedback", topology.TopicMoneyTransferFeedback},
		{g.Generator, topology.TopicHeartbeat},
	} {
		if strings.HasPrefix(gt.group, "-") || gt.group == "" {
			continue // a group not asked about
		}
		marks, err := admin.Watermarks(ctx, gt.topic)
		if err != nil {
			return nil, err
		}
		committed, err := admin.Committed(ctx, gt.group, gt.topic)
		if err != nil {
			return nil, err
		}
		for p, w := range marks {
			c, ok := committed[p]
			if !ok {
				c = -1
			}
			out = append(out, Lag{Group: gt.group, Topic: gt.topic, Partition: p, Committed: c, High: w.High})
		}
	}
	return out, nil
}

// readAll reads topic from its beginning to the end it has now.
func readAll(ctx context.Context, cfg messaging.Config, admin *messaging.Admin, topic string, log *slog.Logger, each func(messaging.RawRecord) error) error {
	marks, err := admin.Watermarks(ctx, topic)
	if err != nil {
		return err
	}
	start := map[messaging.TopicPartition]int64{}
	for p, w := range marks {
		if w.High > w.Low {
			start[messaging.TopicPartition{Topic: topic, Partition: p}] = messaging.OffsetBeginning
		}
	}
	if len(start) == 0 {
		return nil
	}
	r, err := messaging.NewReader(cfg, start, "", log)
	if err != nil {
		return err
	}
	defer func() { _ = r.Close() }()
	done := func() bool {
		for tp := range start {
			if next, ok := r.Next(tp); !ok || next < marks[tp.Partition].High {
				return false
			}
		}
		return true
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	for !done() {
		recs, err := r.Poll(ctx, 5000, 500*time.Millisecond)
		if err != nil {
			return fmt.Errorf("read %s: %w", topic, err)
		}
		for _, m := range recs {
			if m.Offset < marks[m.Partition].High {
				if err := each(m); err != nil {
					return err
				}
			}
		}
		if ctx.Err() != nil {
			return fmt.Errorf("read %s to its end: %w", topic, ctx.Err())
		}
	}
	return nil
}

// ReadTopics reads commands, feedback, BalanceChanged and dead letters.
func ReadTopics(ctx context.Context, cfg messaging.Config, admin *messaging.Admin, log *slog.Logger, o *Observed) error {
	serde := serde.NewSerde(serde.NewRegistry(cfg.Registry()))
	decode := func(m messaging.RawRecord) (records.Record, error) {
		rec, err := serde.Decode(m.Topic, m.Value)
		if err != nil {
			return nil, fmt.Errorf("decode %s/%d@%d: %w", m.Topic, m.Partition, m.Offset, err)
		}
		return rec, nil
	}
	id := func(b [16]byte) string { return uuid.UUID(b).String() }
	err := readAll(ctx, cfg, admin, topology.TopicCommands, log, func(m messaging.RawRecord) error {
		rec, err := decode(m)
		if err != nil {
			return nil // the handler dead-letters it; the dead-letter check looks at it
		}
		switch c := rec.(type) {
		case *records.ConfirmAccountCreation:
			o.Commands = append(o.Commands, Command{ID: id(c.ID)})
		case *records.ConfirmMoneyTransfer:
			o.Commands = append(o.Commands, Command{ID: id(c.ID), Transfer: true, Amount: c.Amount, From: c.From, To: c.To})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, topic := range []string{topology.TopicAccountCreationFeedback, topology.TopicMoneyTransferFeedback} {
		err := readAll(ctx, cfg, admin, topic, log, func(m messaging.RawRecord) error {
			rec, err := decode(m)
			if err != nil {
				return err
			}
			canonical := fmt.Sprintf("%T %+v", rec, rec)
			switch f := rec.(type) {
			case *records.AccountCreationConfirmed:
				o.Feedback = append(o.Feedback, Feedback{ID: id(f.ID), Confirmed: true, IBAN: f.IBAN, Canonical: canonical})
			case *records.AccountCreationFailed:
				o.Feedback = append(o.Feedback, Feedback{ID: id(f.ID), Canonical: canonical})
			case *records.MoneyTransferConfirmed:
				o.Feedback = append(o.Feedback, Feedback{ID: id(f.ID), Confirmed: true, Canonical: canonical})
			case *records.MoneyTransferFailed:
				o.Feedback = append(o.Feedback, Feedback{ID: id(f.ID), Canonical: canonical})
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	err = readAll(ctx, cfg, admin, topology.TopicBalanceChanged, log, func(m messaging.RawRecord) error {
		rec, err := decode(m)
		if err != nil {
			return err
		}
		if b, ok := rec.(*records.BalanceChanged); ok {
			o.Events = append(o.Events, BalanceEvent{CommandID: m.Header(topology.HeaderCommandID), IBAN: b.IBAN,
				NewBalance: b.NewBalance, ChangedBy: b.ChangedBy, FromTo: b.FromTo, Description: b.Description})
		}
		return nil
	})
	if err != nil {
		return err
	}
	return readAll(ctx, cfg, admin, topology.TopicCommandsDeadLetter, log, func(m messaging.RawRecord) error {
		d := DeadLetter{Offset: m.Offset, Detail: m.Header(messaging.HeaderDeadLetterError)}
		if rec, err := serde.Decode(topology.TopicCommands, m.Value); err == nil && storable(rec) {
			d.ValidCommand, d.Detail = true, fmt.Sprintf("%T", rec)
		}
		o.DeadLetters = append(o.DeadLetters, d)
		return nil
	})
}

// storable says whether a decoded command's text is what PostgreSQL can
// keep (the handler dead-letters NUL and invalid UTF-8 on purpose).
func storable(rec records.Record) bool {
	ok := func(ss ...string) bool {
		for _, s := range ss {
			if !utf8.ValidString(s) {
				return false
			}
			for _, r := range s {
				if r == 0 {
					return false
				}
			}
		}
		return true
	}
	switch c := rec.(type) {
	case *records.ConfirmAccountCreation:
		return ok(c.AType)
	case *records.ConfirmMoneyTransfer:
		return ok(c.Token, c.From, c.To, c.Description)
	}
	return false
}

// ReadDatabases reads balancedb's balances and transactiondb's rows.
func ReadDatabases(ctx context.Context, balanceDB, transactionDB string, o *Observed) error {
	bc, err := pgx.Connect(ctx, balanceDB)
	if err != nil {
		return fmt.Errorf("connect to balancedb: %w", err)
	}
	defer bc.Close(context.WithoutCancel(ctx))
	rows, err := bc.Query(ctx, `SELECT iban, amount FROM balance`)
	if err != nil {
		return fmt.Errorf("read balances: %w", err)
	}
	o.Balances = map[string]int64{}
	for rows.Next() {
		var iban string
		var amount int64
		if err := rows.Scan(&iban, &amount); err != nil {
			return fmt.Errorf("read balances: %w", err)
		}
		o.Balances[iban] = amount
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read balances: %w", err)
	}
	tc, err := pgx.Connect(ctx, transactionDB)
	if err != nil {
		return fmt.Errorf("connect to transactiondb: %w", err)
	}
	defer tc.Close(context.WithoutCancel(ctx))
	rows, err = tc.Query(ctx, `SELECT command_id, iban, new_balance, changed_by, from_to, descr FROM transactions ORDER BY id`)
	if err != nil {
		return fmt.Errorf("read transactions: %w", err)
	}
	for rows.Next() {
		var e BalanceEvent
		if err := rows.Scan(&e.CommandID, &e.IBAN, &e.NewBalance, &e.ChangedBy, &e.FromTo, &e.Description); err != nil {
			return fmt.Errorf("read transactions: %w", err)
		}
		o.Transactions = append(o.Transactions, e)
	}
	return rows.Err()
}
