package traffic

import "math/rand/v2"

// Account is an AUTO account the generator may move money from or to.
type Account struct {
	IBAN  string
	Token string
}

// Accounts remembers at most a fixed number of accounts: a ring in which the
// newest account replaces the oldest, so memory stays bounded however long
// the bank runs, and the accounts drawn from are the most recently created.
type Accounts struct {
	ring  []Account
	next  int            // slot the next new account goes to
	index map[string]int // iban -> slot, so a redelivered confirmation is not counted twice
}

// NewAccounts returns an empty set that keeps up to capacity accounts.
func NewAccounts(capacity int) *Accounts {
	capacity = max(1, capacity)
	return &Accounts{ring: make([]Account, 0, capacity), index: make(map[string]int, capacity)}
}

// Add remembers acc and says whether it was new.
func (a *Accounts) Add(acc Account) bool {
	if _, known := a.index[acc.IBAN]; known {
		return false
	}
	if len(a.ring) < cap(a.ring) {
		a.ring = append(a.ring, acc)
		a.index[acc.IBAN] = len(a.ring) - 1
		return true
	}
	delete(a.index, a.ring[a.next].IBAN)
	a.ring[a.next] = acc
	a.index[acc.IBAN] = a.next
	a.next = (a.next + 1) % len(a.ring)
	return true
}

// Len is how many accounts are remembered.
func (a *Accounts) Len() int { return len(a.ring) }

// Contains says whether an account with iban is remembered.
func (a *Accounts) Contains(iban string) bool {
	_, ok := a.index[iban]
	return ok
}

// pick draws a remembered account uniformly.
func (a *Accounts) pick(r *rand.Rand) (Account, bool) {
	if len(a.ring) == 0 {
		return Account{}, false
	}
	return a.ring[r.IntN(len(a.ring))], true
}

// pickOther draws a remembered account other than the one with iban.
func (a *Accounts) pickOther(r *rand.Rand, iban string) (Account, bool) {
	slot, known := a.index[iban]
	switch {
	case !known:
		return a.pick(r)
	case len(a.ring) < 2:
		return Account{}, false
	}
	i := r.IntN(len(a.ring) - 1)
	if i >= slot {
		i++
	}
	return a.ring[i], true
}
