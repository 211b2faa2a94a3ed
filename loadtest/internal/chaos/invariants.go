package chaos

import (
	"fmt"
	"sort"
	"strings"
)

// Result is the outcome of one invariant.
type Result struct {
	Name   string
	OK     bool
	Detail string
}

// Check runs every invariant over o.
func Check(o Observed) []Result {
	return []Result{
		MoneyConserved(o),
		OneFeedbackPerCommand(o),
		BalancesReplay(o),
		TransactionsOnce(o),
		WritesOnce(o),
		ClientStreams(o),
		NothingLeft(o),
	}
}

// WritesOnce: the gateways offer each BalanceChanged record to transactiondb
// about once, however many run (one shared group stores it; a rebalance may
// hand a batch to a second instance), and insert each stored row once.
// Instances that each read every record would offer it once per instance.
func WritesOnce(o Observed) Result {
	r := Result{Name: "transactiondb is written once per transaction, however many gateways"}
	w := o.Writes
	if w == nil {
		r.Detail = "not measured"
		return r
	}
	records := len(o.Events)
	byKey, _, _ := distinctEvents(o.Events)
	// Counters of a killed gateway are read just before the kill, so a batch
	// stored in between is missing from them: fewer, never more.
	r.OK = w.Inserted <= float64(w.Rows) && w.Offered <= 1.1*float64(records) && w.Rows == int64(len(byKey))
	r.Detail = fmt.Sprintf("%d BalanceChanged records (%d distinct) → %s", records, len(byKey), w)
	return r
}

// Summary is "N passed, M failed".
func Summary(rs []Result) string {
	passed := 0
	for _, r := range rs {
		if r.OK {
			passed++
		}
	}
	return fmt.Sprintf("%d passed, %d failed", passed, len(rs)-passed)
}

// outcomes are the distinct feedback copies per command id.
func outcomes(fb []Feedback) map[string]map[string]Feedback {
	out := map[string]map[string]Feedback{}
	for _, f := range fb {
		if out[f.ID] == nil {
			out[f.ID] = map[string]Feedback{}
		}
		out[f.ID][f.Canonical] = f
	}
	return out
}

// commandsByID keeps the first copy of each command id.
func commandsByID(cs []Command) (map[string]Command, []string) {
	byID := map[string]Command{}
	var order []string
	for _, c := range cs {
		if _, ok := byID[c.ID]; !ok {
			byID[c.ID] = c
			order = append(order, c.ID)
		}
	}
	return byID, order
}

// bankAccounts are the bank's own account and every account opened.
func bankAccounts(fb []Feedback) map[string]bool {
	in := map[string]bool{BankIBAN: true}
	for _, f := range fb {
		if f.Confirmed && f.IBAN != "" {
			in[f.IBAN] = true
		}
	}
	return in
}

// confirmed says whether the command's (single) feedback confirmed it.
func confirmed(copies map[string]Feedback) bool {
	for _, f := range copies {
		return f.Confirmed
	}
	return false
}

// MoneyConserved: the sum of all balances equals the opening balance plus
// every confirmed deposit minus every confirmed payment to a party outside
// the bank.
func MoneyConserved(o Observed) Result {
	r := Result{Name: "money conserved"}
	byID, order := commandsByID(o.Commands)
	fb := outcomes(o.Feedback)
	inBank := bankAccounts(o.Feedback)
	var deposits, payments int64
	for _, id := range order {
		c := byID[id]
		if !c.Transfer || !confirmed(fb[id]) {
			continue
		}
		switch {
		case c.From == Cash:
			deposits += c.Amount
		case !inBank[c.To]:
			payments += c.Amount
		}
	}
	var sum int64
	for _, b := range o.Balances {
		sum += b
	}
	want := BankOpeningBalance + deposits - payments
	r.OK = sum == want
	r.Detail = fmt.Sprintf("balances sum to %d; opening %d + deposits %d − payments out %d = %d (off by %d)",
		sum, BankOpeningBalance, deposits, payments, want, sum-want)
	return r
}

// OneFeedbackPerCommand: every command got exactly one distinct feedback
// (identical copies of a re-sent answer count once), and no feedback answers
// a command that was never sent.
func OneFeedbackPerCommand(o Observed) Result {
	r := Result{Name: "one distinct feedback per command"}
	byID, order := commandsByID(o.Commands)
	fb := outcomes(o.Feedback)
	var missing, conflicting, orphans []string
	for _, id := range order {
		switch n := len(fb[id]); {
		case n == 0:
			missing = append(missing, id)
		case n > 1:
			conflicting = append(conflicting, id)
		}
	}
	for id := range fb {
		if _, ok := byID[id]; !ok {
			orphans = append(orphans, id)
		}
	}
	r.OK = len(missing)+len(conflicting)+len(orphans) == 0
	r.Detail = fmt.Sprintf("%d commands: %d without feedback%s, %d with differing answers%s, %d answers to no command%s",
		len(order), len(missing), sample(missing), len(conflicting), sample(conflicting), len(orphans), sample(orphans))
	return r
}

// distinctEvents keeps one copy per (command, iban) and counts keys whose
// copies differ.
func distinctEvents(es []BalanceEvent) (map[EventKey]BalanceEvent, []BalanceEvent, []string) {
	byKey := map[EventKey]BalanceEvent{}
	var order []BalanceEvent
	var differing []string
	for _, e := range es {
		prev, ok := byKey[e.Key()]
		if !ok {
			byKey[e.Key()] = e
			order = append(order, e)
			continue
		}
		if prev != e {
			differing = append(differing, e.CommandID+"/"+e.IBAN)
		}
	}
	return byKey, order, differing
}

// BalancesReplay: every balance in balancedb equals its opening balance plus
// the distinct BalanceChanged events of the account, and the last event's
// new_balance; every confirmed transfer changed exactly the sides it should
// (so no command was applied twice) and a failed one changed nothing.
func BalancesReplay(o Observed) Result {
	r := Result{Name: "balances = replay of distinct BalanceChanged"}
	byKey, order, differing := distinctEvents(o.Events)
	replay := map[string]int64{}
	last := map[string]int64{}
	perCommand := map[string]int{}
	for _, e := range order {
		replay[e.IBAN] += e.ChangedBy
		last[e.IBAN] = e.NewBalance
		perCommand[e.CommandID]++
	}
	var wrong []string
	for iban, amount := range o.Balances {
		opening := int64(0)
		if iban == BankIBAN {
			opening = BankOpeningBalance
		}
		l, seen := last[iban]
		if opening+replay[iban] != amount || (seen && l != amount) {
			wrong = append(wrong, fmt.Sprintf("%s (db %d, replay %d)", iban, amount, opening+replay[iban]))
		}
	}
	for iban := range replay {
		if _, ok := o.Balances[iban]; !ok {
			wrong = append(wrong, iban+" (events but no account)")
		}
	}
	byID, ids := commandsByID(o.Commands)
	fb := outcomes(o.Feedback)
	inBank := bankAccounts(o.Feedback)
	var badSides []string
	for _, id := range ids {
		c := byID[id]
		want := 0
		if c.Transfer && confirmed(fb[id]) {
			if c.From != Cash {
				want++
				if _, ok := byKey[EventKey{id, c.From}]; !ok {
					want = -1
				}
			}
			if want >= 0 && inBank[c.To] {
				want++
				if _, ok := byKey[EventKey{id, c.To}]; !ok {
					want = -1
				}
			}
		}
		if want != perCommand[id] {
			badSides = append(badSides, id)
		}
	}
	sort.Strings(wrong)
	r.OK = len(wrong)+len(differing)+len(badSides) == 0
	r.Detail = fmt.Sprintf("%d accounts, %d distinct events: %d balances off%s, %d events with differing copies%s, %d commands with wrong events%s",
		len(o.Balances), len(order), len(wrong), sample(wrong), len(differing), sample(differing), len(badSides), sample(badSides))
	return r
}

// TransactionsOnce: transactiondb holds each distinct BalanceChanged exactly
// once, as it was sent, and nothing else.
func TransactionsOnce(o Observed) Result {
	r := Result{Name: "transactiondb holds each BalanceChanged once"}
	byKey, _, _ := distinctEvents(o.Events)
	rows := map[EventKey]int{}
	var mismatched, extra, doubled, missing []string
	for _, t := range o.Transactions {
		rows[t.Key()]++
		e, ok := byKey[t.Key()]
		switch {
		case !ok:
			extra = append(extra, t.CommandID+"/"+t.IBAN)
		case e != t:
			mismatched = append(mismatched, t.CommandID+"/"+t.IBAN)
		}
	}
	for k, n := range rows {
		if n > 1 {
			doubled = append(doubled, k.CommandID+"/"+k.IBAN)
		}
	}
	for k := range byKey {
		if rows[k] == 0 {
			missing = append(missing, k.CommandID+"/"+k.IBAN)
		}
	}
	r.OK = len(mismatched)+len(extra)+len(doubled)+len(missing) == 0
	r.Detail = fmt.Sprintf("%d rows for %d events: %d missing%s, %d doubled%s, %d differing%s, %d unknown%s",
		len(o.Transactions), len(byKey), len(missing), sample(missing), len(doubled), sample(doubled),
		len(mismatched), sample(mismatched), len(extra), sample(extra))
	return r
}

// ClientStreams: every transfer an API client saw confirmed appeared on its
// stream exactly once, and every transfer a client sent got an answer.
func ClientStreams(o Observed) Result {
	r := Result{Name: "client streams: each confirmed transfer exactly once"}
	var lost, doubled, unanswered []string
	confirmedN := 0
	for _, t := range o.Clients {
		if !t.Answered {
			unanswered = append(unanswered, t.ID)
			continue
		}
		if !t.Confirmed {
			continue
		}
		confirmedN++
		switch {
		case len(t.StreamIDs) == 0:
			lost = append(lost, t.ID)
		case len(t.StreamIDs) > 1 || t.Repeats > 0:
			doubled = append(doubled, t.ID)
		}
	}
	r.OK = len(lost)+len(doubled)+len(unanswered) == 0 && len(o.Clients) > 0
	r.Detail = fmt.Sprintf("%d transfers sent, %d confirmed: %d never on the stream%s, %d on it more than once%s, %d never answered%s",
		len(o.Clients), confirmedN, len(lost), sample(lost), len(doubled), sample(doubled), len(unanswered), sample(unanswered))
	return r
}

// NothingLeft: no consumer lag, and nothing in the dead-letter topic that
// was a valid command.
func NothingLeft(o Observed) Result {
	r := Result{Name: "no lag, no valid command dead-lettered"}
	var lagging []string
	var total int64
	for _, l := range o.Lags {
		committed := max(l.Committed, 0)
		if committed < l.High {
			total += l.High - committed
			lagging = append(lagging, fmt.Sprintf("%s %s/%d", l.Group, l.Topic, l.Partition))
		}
	}
	var valid []string
	for _, d := range o.DeadLetters {
		if d.ValidCommand {
			valid = append(valid, fmt.Sprintf("offset %d: %s", d.Offset, d.Detail))
		}
	}
	r.OK = total == 0 && len(valid) == 0 && len(o.Lags) > 0
	r.Detail = fmt.Sprintf("lag %d: %d of %d partitions behind%s; %d dead letters, %d of them valid commands%s",
		total, len(lagging), len(o.Lags), sample(lagging), len(o.DeadLetters), len(valid), sample(valid))
	return r
}

// sample shows up to three of xs.
func sample(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	sort.Strings(xs)
	if len(xs) > 3 {
		return " (" + strings.Join(xs[:3], ", ") + ", …)"
	}
	return " (" + strings.Join(xs, ", ") + ")"
}
