package gqlws

// The bank's operations as its Go clients send them (the load test's
// drivers, the chaos run's clients, examples/bank-client): one text each, so
// they all ask the same question. Variables are named as the schema's
// arguments.
const (
	// GetAccount opens an account, or logs in to one: $username, $password.
	GetAccount = `subscription ($username: String!, $password: String!) {
  get_account(username: $username, password: $password) { iban token reason } }`
	// MoneyTransfer transfers $amount cents; a repeated $uuid answers the first result.
	MoneyTransfer = `subscription ($uuid: String!, $token: String!, $amount: Int!, $from: String!, $to: String!, $descr: String!) {
  money_transfer(uuid: $uuid, token: $token, amount: $amount, from: $from, to: $to, descr: $descr) { uuid success reason } }`
	// StreamTransactions follows $iban's new transactions (every iban's when null).
	StreamTransactions = `subscription ($iban: String) {
  stream_transactions(iban: $iban) { id iban new_balance changed_by from_to descr direction } }`
	// TransactionsByIBAN is $iban's newest 1,000 transactions, newest first.
	TransactionsByIBAN = `query ($iban: String!) {
  transactions_by_iban(iban: $iban, max_items: 1000) { id iban new_balance changed_by from_to descr direction } }`
)
