package records

import "github.com/hamba/avro/v2"

// Record is implemented by every generated record type (through a pointer).
type Record interface {
	Schema() avro.Schema
	Marshal() ([]byte, error)
	Unmarshal(b []byte) error
}

// FullName is the record's Avro full name, e.g. nl.openweb.data.Heartbeat.
func FullName(r Record) string {
	return r.Schema().(avro.NamedSchema).FullName()
}

// All returns one zero value of every record type of the bank.
func All() []Record {
	return []Record{
		&Heartbeat{},
		&ConfirmAccountCreation{}, &ConfirmMoneyTransfer{},
		&AccountCreationConfirmed{}, &AccountCreationFailed{},
		&MoneyTransferConfirmed{}, &MoneyTransferFailed{},
		&BalanceChanged{},
	}
}

// New returns a new zero value of the record type with that full name.
func New(fullName string) (Record, bool) {
	for _, r := range All() {
		if FullName(r) == fullName {
			return r, true
		}
	}
	return nil, false
}
