// Package transaction is what the gateway knows about one balance change: how
// it is shown (Dutch euro format, direction) and which stream subscribers want it.
package transaction

import (
	"cmp"
	"strconv"
	"strings"
	"time"
)

// Direction says whether a change took money out of its iban or put money in.
type Direction string

const (
	Debit  Direction = "DEBIT"
	Credit Direction = "CREDIT"
)

// Transaction is one stored BalanceChanged: amounts in euro cents.
type Transaction struct {
	ID         int64 // database row id
	CommandID  string
	IBAN       string
	NewBalance int64
	ChangedBy  int64 // negative for a debit
	FromTo     string
	Descr      string
	// Where the BalanceChanged is in balance_changed, and its Kafka
	// timestamp: gateways stream rows per partition in offset order.
	Partition int32
	Offset    int64
	At        time.Time
}

// Direction is DEBIT when money left the iban.
// ByPlace orders transactions by their place in balance_changed (partition,
// then offset): the order one partition's rows are stored and streamed in.
func ByPlace(a, b Transaction) int {
	return cmp.Or(cmp.Compare(a.Partition, b.Partition), cmp.Compare(a.Offset, b.Offset))
}

func (t Transaction) Direction() Direction {
	if t.ChangedBy < 0 {
		return Debit
	}
	return Credit
}

// FormatEuro shows cents as the Dutch locale does, without the space Java puts
// after the sign: €10,00, €1.234,56, €-5,00.
func FormatEuro(cents int64) string {
	neg := cents < 0
	// Work on the magnitude as uint64 so the most negative int64 is safe too.
	u := uint64(cents)
	if neg {
		u = -u
	}
	whole := strconv.FormatUint(u/100, 10)
	var b strings.Builder
	b.Grow(len(whole) + len(whole)/3 + 6)
	b.WriteString("€")
	if neg {
		b.WriteByte('-')
	}
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	frac := u % 100
	b.WriteByte(',')
	b.WriteByte(byte('0' + frac/10))
	b.WriteByte(byte('0' + frac%10))
	return b.String()
}

// Abs is the magnitude of cents (changed_by is shown without sign).
func Abs(cents int64) int64 {
	if cents < 0 {
		return -cents
	}
	return cents
}

// Filter is the arguments of stream_transactions; nil fields do not filter.
// MinAmount and MaxAmount bound the signed changed_by in cents, as the
// original did (a debit is negative).
type Filter struct {
	IBAN          *string
	MinAmount     *int64
	MaxAmount     *int64
	Direction     *Direction
	DescrIncludes *string
}

// Matches says whether t passes every filter that is set.
func (f Filter) Matches(t Transaction) bool {
	if f.IBAN != nil && *f.IBAN != t.IBAN {
		return false
	}
	if f.MinAmount != nil && t.ChangedBy < *f.MinAmount {
		return false
	}
	if f.MaxAmount != nil && t.ChangedBy > *f.MaxAmount {
		return false
	}
	if f.Direction != nil && *f.Direction != t.Direction() {
		return false
	}
	if f.DescrIncludes != nil && !containsFold(t.Descr, *f.DescrIncludes) {
		return false
	}
	return true
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// MaxItemsLimit bounds transactions_by_iban's max_items.
const MaxItemsLimit = 1000
