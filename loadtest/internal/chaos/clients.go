package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"openbank/kit/gqlws"
	"openbank/loadtest/internal/driver"
	"openbank/topology/ident"
)

const (
	// The gateway's answer when the handler did not answer in time: ask again.
	reasonNoAnswer = "no answer from the command handler in time, try again"
)

// Client is an API client that makes transfers and watches its account's
// stream, reconnecting (and asking again with the same uuid) whenever the
// gateway goes away.
type Client struct {
	Name string
	url  string
	// Confirmed gets the time each transfer was first sent and confirmed.
	confirmed func(sent, at time.Time)

	mu       sync.Mutex
	conn     *gqlws.Conn
	ready    chan struct{} // closed when conn is usable
	account  driver.Account
	peers    []string
	byDescr  map[string]*ClientTransfer
	seen     map[string]map[string]bool // description → transaction ids
	inflight sync.WaitGroup
	n        int
}

// NewClient returns a client of the gateway at url.
func NewClient(name, url string, confirmed func(sent, at time.Time)) *Client {
	return &Client{Name: name, url: url, confirmed: confirmed, byDescr: map[string]*ClientTransfer{},
		seen: map[string]map[string]bool{}, ready: make(chan struct{})}
}

// Open connects and opens the client's account, trying again (the same
// username) until within passes.
func (c *Client) Open(ctx context.Context, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		err := c.connect(ctx, false)
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		sleep(ctx, time.Second)
	}
}

// IBAN is the client's account.
func (c *Client) IBAN() string { return c.account.IBAN }

// SetPeers sets the accounts the client pays to.
func (c *Client) SetPeers(ibans []string) { c.peers = ibans }

// connect dials, logs in, subscribes to the stream and, after a reconnect,
// reads back what the stream may have missed meanwhile.
func (c *Client) connect(ctx context.Context, again bool) error {
	conn, err := gqlws.Dial(ctx, c.url, gqlws.TransportWS)
	if err != nil {
		return err
	}
	acc, err := driver.OpenAccount(ctx, conn, c.Name)
	if err != nil {
		_ = conn.Close()
		return err
	}
	_, events, err := conn.Subscribe(ctx, gqlws.StreamTransactions, map[string]any{"iban": acc.IBAN}, 1024)
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("stream_transactions: %w", err)
	}
	go c.watch(events)
	if again {
		if err := c.readBack(ctx, conn, acc.IBAN); err != nil {
			_ = conn.Close()
			return err
		}
	}
	c.mu.Lock()
	c.conn, c.account = conn, acc
	close(c.ready)
	c.mu.Unlock()
	go c.reconnectAfter(ctx, conn)
	return nil
}

// reconnectAfter waits for conn to end and connects again until it works.
func (c *Client) reconnectAfter(ctx context.Context, conn *gqlws.Conn) {
	select {
	case <-conn.Done():
	case <-ctx.Done():
		return
	}
	c.mu.Lock()
	c.ready = make(chan struct{})
	c.mu.Unlock()
	for ctx.Err() == nil {
		if err := c.connect(ctx, true); err == nil {
			return
		}
		time.Sleep(300 * time.Millisecond)
	}
}

type transaction struct {
	ID    int64  `json:"id"`
	Descr string `json:"descr"`
}

// watch records the transactions of one subscription; a transaction it
// delivers twice is a repeat.
func (c *Client) watch(events <-chan gqlws.Event) {
	here := map[int64]bool{}
	for ev := range events {
		var r struct {
			StreamTransactions *transaction `json:"stream_transactions"`
		}
		if ev.Done || json.Unmarshal(ev.Data, &r) != nil || r.StreamTransactions == nil {
			continue
		}
		t := *r.StreamTransactions
		c.note(t, here[t.ID])
		here[t.ID] = true
	}
}

func (c *Client) note(t transaction, repeat bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ct, ok := c.byDescr[t.Descr]
	if !ok {
		return // a credit from another client's transfer
	}
	if repeat {
		ct.Repeats++
	}
	if c.seen[t.Descr] == nil {
		c.seen[t.Descr] = map[string]bool{}
	}
	c.seen[t.Descr][strconv.FormatInt(t.ID, 10)] = true
}

// readBack reads the account's latest transactions after a reconnect.
func (c *Client) readBack(ctx context.Context, conn *gqlws.Conn, iban string) error {
	_, events, err := conn.Subscribe(ctx, gqlws.TransactionsByIBAN, map[string]any{"iban": iban}, 2)
	if err != nil {
		return fmt.Errorf("transactions_by_iban: %w", err)
	}
	ev, err := gqlws.First(ctx, events)
	if err == nil {
		err = ev.Err()
	}
	if err != nil {
		return fmt.Errorf("transactions_by_iban: %w", err)
	}
	var r struct {
		Rows []*transaction `json:"transactions_by_iban"`
	}
	if err := json.Unmarshal(ev.Data, &r); err != nil {
		return fmt.Errorf("transactions_by_iban: %w", err)
	}
	for _, t := range r.Rows {
		if t != nil {
			c.note(*t, false)
		}
	}
	return nil
}

// MaxInFlight bounds a client's unanswered transfers: with its stream and a
// read-back it stays under the gateway's 20 subscriptions per connection.
const MaxInFlight = 12

// Run sends a transfer every interval until ctx ends (skipping a tick while
// MaxInFlight are unanswered), then waits for the ones in flight (each up to
// giveUp).
func (c *Client) Run(ctx, answerCtx context.Context, interval, giveUp time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	slots := make(chan struct{}, MaxInFlight)
	for {
		select {
		case <-ctx.Done():
			c.inflight.Wait()
			return
		case <-tick.C:
		}
		select {
		case slots <- struct{}{}:
		default:
			continue
		}
		c.inflight.Add(1)
		go func() {
			defer func() { <-slots; c.inflight.Done() }()
			c.transfer(answerCtx, giveUp)
		}()
	}
}

// transfer is one deposit (two in three) or payment to a peer, asked again
// with the same uuid until it is answered or giveUp passes.
func (c *Client) transfer(ctx context.Context, giveUp time.Duration) {
	c.mu.Lock()
	c.n++
	descr := fmt.Sprintf("chaos %s #%d", c.Name, c.n)
	ct := &ClientTransfer{Client: c.Name, ID: ident.NewCommandID().String(), IBAN: c.account.IBAN, Description: descr}
	c.byDescr[descr] = ct
	sent := time.Now()
	ct.Sent = sent
	vars := map[string]any{"uuid": ct.ID, "amount": 100 + rand.IntN(900), "descr": descr}
	if c.n%3 != 0 || len(c.peers) == 0 {
		vars["from"], vars["to"], vars["token"] = Cash, c.account.IBAN, Cash
	} else {
		vars["from"], vars["to"], vars["token"] = c.account.IBAN, c.peers[rand.IntN(len(c.peers))], c.account.Token
	}
	c.mu.Unlock()

	ctx, cancel := context.WithTimeout(ctx, giveUp)
	defer cancel()
	for ctx.Err() == nil {
		success, reason, err := c.ask(ctx, vars)
		c.mu.Lock()
		ct.Attempts++
		if err != nil {
			ct.LastError = err.Error()
		} else {
			ct.LastError = reason
		}
		c.mu.Unlock()
		if err == nil && reason != reasonNoAnswer {
			c.mu.Lock()
			ct.Answered, ct.Confirmed = true, success
			c.mu.Unlock()
			if success {
				c.confirmed(sent, time.Now())
			}
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// ask sends money_transfer once on the current connection.
func (c *Client) ask(ctx context.Context, vars map[string]any) (bool, string, error) {
	c.mu.Lock()
	ready, conn := c.ready, c.conn
	c.mu.Unlock()
	select {
	case <-ready:
	case <-ctx.Done():
		return false, "", ctx.Err()
	}
	id, events, err := conn.Subscribe(ctx, gqlws.MoneyTransfer, vars, 2)
	if err != nil {
		return false, "", err
	}
	ev, err := gqlws.First(ctx, events)
	if ctx.Err() != nil {
		_ = conn.Stop(context.WithoutCancel(ctx), id) // not left open on the gateway
	}
	if err == nil {
		err = ev.Err()
	}
	if err == nil && ev.Done {
		err = fmt.Errorf("money_transfer ended without an answer")
	}
	if err != nil {
		return false, "", err
	}
	var r struct {
		MoneyTransfer struct {
			Success bool    `json:"success"`
			Reason  *string `json:"reason"`
		} `json:"money_transfer"`
	}
	if err := json.Unmarshal(ev.Data, &r); err != nil {
		return false, "", err
	}
	reason := ""
	if r.MoneyTransfer.Reason != nil {
		reason = *r.MoneyTransfer.Reason
	}
	return r.MoneyTransfer.Success, reason, nil
}

// Transfers is what the client saw of each transfer.
func (c *Client) Transfers() []ClientTransfer {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]ClientTransfer, 0, len(c.byDescr))
	for descr, ct := range c.byDescr {
		t := *ct
		for id := range c.seen[descr] {
			t.StreamIDs = append(t.StreamIDs, id)
		}
		out = append(out, t)
	}
	return out
}

// Close closes the connection.
func (c *Client) Close() {
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn != nil {
		_ = conn.Close()
	}
}
