package driver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"openbank/kit/gqlws"
	"openbank/topology/ident"
)

// API drives the GraphQL WebSocket API directly: it measures command →
// feedback (money_transfer's answer) and command → BalanceChanged visible
// (the transaction arriving on stream_transactions for the account).
type API struct {
	URL      string // ws://host:port/graphql-ws
	Protocol string // gqlws.TransportWS by default

	conn    *gqlws.Conn
	account Account

	mu      sync.Mutex
	waiters map[string]chan time.Time // description → arrival

	streamDone chan struct{} // closed when stream_transactions ended
	streamErr  error
}

// Account is a bank account of the load test's user.
type Account struct {
	Username, IBAN, Token string
}

// NewAPI returns an API driver for url.
func NewAPI(url string) *API {
	return &API{URL: url, Protocol: gqlws.TransportWS, waiters: map[string]chan time.Time{}}
}

// Account is the account the driver logged in to.
func (a *API) Account() Account { return a.account }

// Open connects, opens an account and subscribes to its transactions.
func (a *API) Open(ctx context.Context) error {
	conn, err := gqlws.Dial(ctx, a.URL, a.Protocol)
	if err != nil {
		return err
	}
	a.conn = conn
	acc, err := OpenAccount(ctx, conn, "loadtest-"+randomHex(6))
	if err != nil {
		_ = conn.Close()
		return err
	}
	a.account = acc
	_, events, err := conn.Subscribe(ctx, gqlws.StreamTransactions, map[string]any{"iban": acc.IBAN}, 256)
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("stream_transactions: %w", err)
	}
	a.streamDone = make(chan struct{})
	go a.watch(events)
	return nil
}

// OpenAccount opens (or logs in to) username's account over conn.
func OpenAccount(ctx context.Context, conn *gqlws.Conn, username string) (Account, error) {
	_, events, err := conn.Subscribe(ctx, gqlws.GetAccount, map[string]any{"username": username, "password": "loadtest-" + username}, 2)
	if err != nil {
		return Account{}, fmt.Errorf("get_account: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ev, err := gqlws.First(ctx, events)
	if err == nil {
		err = ev.Err()
	}
	if err != nil {
		return Account{}, fmt.Errorf("get_account: %w", err)
	}
	var r struct {
		GetAccount struct {
			IBAN   *string `json:"iban"`
			Token  *string `json:"token"`
			Reason *string `json:"reason"`
		} `json:"get_account"`
	}
	if err := json.Unmarshal(ev.Data, &r); err != nil {
		return Account{}, fmt.Errorf("get_account: %w", err)
	}
	g := r.GetAccount
	if g.IBAN == nil || g.Token == nil {
		reason := "no iban"
		if g.Reason != nil {
			reason = *g.Reason
		}
		return Account{}, fmt.Errorf("get_account for %s: %s", username, reason)
	}
	return Account{Username: username, IBAN: *g.IBAN, Token: *g.Token}, nil
}

// watch hands each arriving transaction to whoever waits for its description.
func (a *API) watch(events <-chan gqlws.Event) {
	defer close(a.streamDone)
	a.streamErr = errors.New("stream_transactions ended")
	for ev := range events {
		if ev.Done {
			// The gateway ended the subscription (e.g. this client fell too
			// far behind) or the connection closed: nothing will be visible.
			a.streamErr = fmt.Errorf("stream_transactions ended: %v", ev.Err())
			continue
		}
		at := time.Now()
		var r struct {
			StreamTransactions struct {
				Descr *string `json:"descr"`
			} `json:"stream_transactions"`
		}
		if json.Unmarshal(ev.Data, &r) != nil || r.StreamTransactions.Descr == nil {
			continue
		}
		a.mu.Lock()
		ch, ok := a.waiters[*r.StreamTransactions.Descr]
		delete(a.waiters, *r.StreamTransactions.Descr)
		a.mu.Unlock()
		if ok {
			ch <- at
		}
	}
}

// TransferCommand is money_transfer's variables for an interaction.
func TransferCommand(acc Account, in Interaction) map[string]any {
	v := map[string]any{
		"uuid":   ident.NewCommandID().String(), // time-ordered, as the bank's own ids
		"amount": in.AmountCents,
		"descr":  in.Description,
	}
	if in.Kind == KindDeposit {
		v["from"], v["to"], v["token"] = "cash", acc.IBAN, "cash"
	} else {
		v["from"], v["to"], v["token"] = acc.IBAN, BankIBAN, acc.Token
	}
	return v
}

// Do sends the transfer and waits for both its feedback and its transaction.
func (a *API) Do(ctx context.Context, in Interaction, timeout time.Duration) Measurement {
	visible := make(chan time.Time, 1)
	a.mu.Lock()
	a.waiters[in.Description] = visible
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		delete(a.waiters, in.Description)
		a.mu.Unlock()
	}()

	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	id, events, err := a.conn.Subscribe(ctx, gqlws.MoneyTransfer, TransferCommand(a.account, in), 2)
	if err != nil {
		return Measurement{Err: err}
	}
	var m Measurement
	feedback, streamDone := events, a.streamDone
	for feedback != nil || m.Visible == 0 {
		select {
		case ev, ok := <-feedback:
			if !ok {
				if m.Feedback == 0 {
					return Measurement{Err: errors.New("money_transfer ended without an answer")}
				}
				feedback = nil
				continue
			}
			if err := ev.Err(); err != nil {
				return Measurement{Err: fmt.Errorf("money_transfer: %w", err)}
			}
			if ev.Data == nil {
				continue
			}
			m.Feedback = time.Since(start)
			var r struct {
				MoneyTransfer struct {
					Success *bool   `json:"success"`
					Reason  *string `json:"reason"`
				} `json:"money_transfer"`
			}
			if err := json.Unmarshal(ev.Data, &r); err != nil {
				return Measurement{Err: fmt.Errorf("money_transfer answer: %w", err)}
			}
			if r.MoneyTransfer.Success == nil || !*r.MoneyTransfer.Success {
				reason := "no reason"
				if r.MoneyTransfer.Reason != nil {
					reason = *r.MoneyTransfer.Reason
				}
				return Measurement{Feedback: m.Feedback, Err: fmt.Errorf("money_transfer failed: %s", reason)}
			}
		case at := <-visible:
			m.Visible = at.Sub(start)
		case <-streamDone:
			if m.Visible == 0 {
				return Measurement{Feedback: m.Feedback, Err: a.streamErr}
			}
			streamDone = nil
		case <-ctx.Done():
			if ctx.Err() == context.DeadlineExceeded {
				_ = a.conn.Stop(context.Background(), id)
				m.Timeout = true
				return m
			}
			return Measurement{Err: ctx.Err()}
		}
	}
	return m
}

// Close closes the connection.
func (a *API) Close() error {
	if a.conn == nil {
		return nil
	}
	return a.conn.Close()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
