package ledger

// Handled is a command that has been decided, with where it was first read.
type Handled struct {
	ID        [16]byte
	Partition int32
	Offset    int64
	Outcome   Outcome
}

// Position is where a record was read: its partition and offset.
type Position struct {
	Partition int32
	Offset    int64
}

// At is where the command was first read.
func (h Handled) At() Position { return Position{h.Partition, h.Offset} }

// Handling says what a command read now leads to.
type Handling int

const (
	// Undecided: never handled; decide it.
	Undecided Handling = iota
	// ClientRetry: the id was handled before from another record (a client
	// sent it again); send the stored feedback again, change nothing.
	ClientRetry
	// Redelivery: this very record was handled before its offset was
	// committed (a crash or rebalance); send every stored event again.
	Redelivery
	// RepeatedInBatch: the id came earlier in this batch; answer as that one
	// was answered, change nothing.
	RepeatedInBatch
)

// Classify says how to handle a command read at `at`. before is where its id
// was first handled, or nil; inBatch says whether the id came earlier in the
// same batch. What the database remembers comes first: a command stored
// before is never decided again, whatever else the batch holds.
func Classify(at Position, before *Position, inBatch bool) Handling {
	switch {
	case before != nil && *before == at:
		return Redelivery
	case before != nil:
		return ClientRetry
	case inBatch:
		return RepeatedInBatch
	}
	return Undecided
}

// SendsChanges says whether the command's BalanceChanged events are sent
// (again): for a command decided now and a redelivered one, not for a copy.
func (h Handling) SendsChanges() bool { return h == Undecided || h == Redelivery }
