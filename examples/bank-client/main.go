// Command bank-client is the bank seen from a client program: it opens two
// accounts, deposits money in the first, follows that account's
// transactions, and transfers part of the money to the second, all over the
// gateway's GraphQL API on one WebSocket. Start the bank with `make up`, then:
//
//	go run ./examples/bank-client
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"time"

	"github.com/google/uuid"

	"openbank/kit/gqlws"
)

type account struct{ IBAN, Token, Reason string }

func main() {
	url := flag.String("url", "ws://localhost:8888/graphql-ws", "the gateway's GraphQL WebSocket")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := gqlws.Dial(ctx, *url, gqlws.TransportWS)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	// One operation, one answer: open an account (or log in to it).
	call := func(query string, vars map[string]any, field string, into any) {
		_, events, err := conn.Subscribe(ctx, query, vars, 1)
		if err != nil {
			log.Fatal(err)
		}
		e, err := gqlws.First(ctx, events)
		if err == nil {
			err = e.Err()
		}
		var data map[string]json.RawMessage
		if err == nil {
			err = json.Unmarshal(e.Data, &data)
		}
		if err == nil {
			err = json.Unmarshal(data[field], into)
		}
		if err != nil {
			log.Fatalf("%s: %v", field, err)
		}
	}
	open := func(name string) account {
		var a account
		call(gqlws.GetAccount, map[string]any{"username": name, "password": "correct horse battery"}, "get_account", &a)
		if a.Reason != "" {
			log.Fatalf("open %s: %s", name, a.Reason)
		}
		fmt.Printf("%s has %s\n", name, a.IBAN)
		return a
	}
	transfer := func(from account, to string, cents int, descr string) {
		var r struct {
			Success bool
			Reason  string
		}
		call(gqlws.MoneyTransfer, map[string]any{"uuid": uuid.NewString(), "token": from.Token, "amount": cents,
			"from": from.IBAN, "to": to, "descr": descr}, "money_transfer", &r)
		fmt.Printf("transfer %q: success %v %s\n", descr, r.Success, r.Reason)
	}

	suffix := uuid.NewString()[:8] // a fresh pair of users each run
	alice, bob := open("alice-"+suffix), open("bob-"+suffix)

	// Follow alice's account: every balance change arrives as it happens.
	_, stream, err := conn.Subscribe(ctx, gqlws.StreamTransactions, map[string]any{"iban": alice.IBAN}, 16)
	if err != nil {
		log.Fatal(err)
	}
	transfer(account{IBAN: "cash", Token: "cash"}, alice.IBAN, 10000, "salary")
	transfer(alice, bob.IBAN, 2500, "dinner")
	for range 2 {
		e, err := gqlws.First(ctx, stream)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("alice's account: %s\n", e.Data)
	}
}
