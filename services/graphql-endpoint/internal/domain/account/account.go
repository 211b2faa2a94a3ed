package account

import "openbank/topology/ident"

// Account is a user of the web page; IBAN and Token are empty while pending.
type Account struct {
	Username     string
	PasswordHash string
	CreationID   ident.CommandID
	IBAN         string
	Token        string
}

// Pending says the creation command has no answer yet.
func (a Account) Pending() bool { return a.IBAN == "" }

// Creation is the command handler's answer to a creation command.
type Creation struct {
	CreationID ident.CommandID
	IBAN       string // empty when it failed
	Token      string
	Reason     string
}
