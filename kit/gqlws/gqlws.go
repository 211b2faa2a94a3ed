// Package gqlws is a small GraphQL-over-WebSocket client speaking both
// sub-protocols the gateway serves (graphql-transport-ws, and the legacy
// subscriptions-transport-ws): the one client of the gateway's tests, its
// benchmark, the load test's drivers, the chaos run and examples/bank-client.
package gqlws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/coder/websocket"
)

// The two sub-protocols the gateway serves.
const (
	TransportWS = "graphql-transport-ws"
	LegacyWS    = "graphql-ws"
)

type message struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// Event is one result of an operation, or its end (Done).
type Event struct {
	Data   json.RawMessage
	Errors []GraphQLError
	Done   bool
}

// GraphQLError is one error of a result.
type GraphQLError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

// Err joins the event's errors, or is nil.
func (e Event) Err() error {
	if len(e.Errors) == 0 {
		return nil
	}
	msgs := make([]error, len(e.Errors))
	for i, x := range e.Errors {
		msgs[i] = errors.New(x.Message)
	}
	return errors.Join(msgs...)
}

// Conn is one connection; operations on it may run concurrently.
type Conn struct {
	ws       *websocket.Conn
	protocol string
	wmu      sync.Mutex

	mu     sync.Mutex
	subs   map[string]chan Event
	nextID int
	err    error
	done   chan struct{}
}

// Dial connects to url (ws://host:port/graphql-ws) and completes the
// connection_init handshake.
func Dial(ctx context.Context, url, protocol string) (*Conn, error) {
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{protocol}})
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	ws.SetReadLimit(4 << 20)
	if ws.Subprotocol() != protocol {
		_ = ws.CloseNow()
		return nil, fmt.Errorf("dial %s: server chose sub-protocol %q, want %q", url, ws.Subprotocol(), protocol)
	}
	c := &Conn{ws: ws, protocol: protocol, subs: map[string]chan Event{}, done: make(chan struct{})}
	if err := c.write(ctx, message{Type: "connection_init", Payload: json.RawMessage(`{}`)}); err != nil {
		_ = ws.CloseNow()
		return nil, err
	}
	for {
		m, err := c.read(ctx)
		if err != nil {
			_ = ws.CloseNow()
			return nil, fmt.Errorf("connection_init: %w", err)
		}
		if m.Type == "connection_ack" {
			break
		}
		if m.Type == "connection_error" {
			_ = ws.CloseNow()
			return nil, fmt.Errorf("connection_error: %s", m.Payload)
		}
	}
	go c.readLoop()
	return c, nil
}

func (c *Conn) write(ctx context.Context, m message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.ws.Write(ctx, websocket.MessageText, b)
}

func (c *Conn) read(ctx context.Context) (message, error) {
	_, b, err := c.ws.Read(ctx)
	if err != nil {
		return message{}, err
	}
	var m message
	if err := json.Unmarshal(b, &m); err != nil {
		return message{}, fmt.Errorf("bad message %q: %w", b, err)
	}
	return m, nil
}

func (c *Conn) readLoop() {
	defer close(c.done)
	ctx := context.Background()
	for {
		m, err := c.read(ctx)
		if err != nil {
			c.mu.Lock()
			c.err = err
			for id, ch := range c.subs {
				select {
				case ch <- Event{Done: true, Errors: []GraphQLError{{Message: "connection closed: " + err.Error()}}}:
				default:
				}
				close(ch)
				delete(c.subs, id)
			}
			c.mu.Unlock()
			return
		}
		switch m.Type {
		case "ping":
			_ = c.write(ctx, message{Type: "pong"})
		case "ka", "pong":
		case "next", "data":
			var r struct {
				Data   json.RawMessage `json:"data"`
				Errors []GraphQLError  `json:"errors"`
			}
			_ = json.Unmarshal(m.Payload, &r)
			c.deliver(m.ID, Event{Data: r.Data, Errors: r.Errors}, false)
		case "error":
			var errs []GraphQLError
			if json.Unmarshal(m.Payload, &errs) != nil {
				var one GraphQLError
				_ = json.Unmarshal(m.Payload, &one)
				errs = []GraphQLError{one}
			}
			c.deliver(m.ID, Event{Errors: errs, Done: true}, true)
		case "complete":
			c.deliver(m.ID, Event{Done: true}, true)
		}
	}
}

// deliver blocks when a subscriber's buffer is full: a load test must not
// lose a transaction it waits for.
func (c *Conn) deliver(id string, e Event, last bool) {
	c.mu.Lock()
	ch, ok := c.subs[id]
	if ok && last {
		delete(c.subs, id)
	}
	c.mu.Unlock()
	if !ok {
		return
	}
	ch <- e
	if last {
		close(ch)
	}
}

// Subscribe starts an operation; its events arrive on the channel (of size
// buffer), which is closed after the last one.
func (c *Conn) Subscribe(ctx context.Context, query string, variables map[string]any, buffer int) (string, <-chan Event, error) {
	payload, err := json.Marshal(map[string]any{"query": query, "variables": variables})
	if err != nil {
		return "", nil, err
	}
	ch := make(chan Event, max(buffer, 2))
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return "", nil, fmt.Errorf("connection closed: %w", c.err)
	}
	c.nextID++
	id := strconv.Itoa(c.nextID)
	c.subs[id] = ch
	c.mu.Unlock()
	typ := "subscribe"
	if c.protocol == LegacyWS {
		typ = "start"
	}
	if err := c.write(ctx, message{ID: id, Type: typ, Payload: payload}); err != nil {
		c.mu.Lock()
		delete(c.subs, id)
		c.mu.Unlock()
		return "", nil, fmt.Errorf("subscribe: %w", err)
	}
	return id, ch, nil
}

// Stop ends an operation from the client's side.
func (c *Conn) Stop(ctx context.Context, id string) error {
	typ := "complete"
	if c.protocol == LegacyWS {
		typ = "stop"
	}
	c.mu.Lock()
	delete(c.subs, id)
	c.mu.Unlock()
	return c.write(ctx, message{ID: id, Type: typ})
}

// ErrClosed is returned by First when the operation ended without a result.
var ErrClosed = errors.New("operation ended without a result")

// First waits for the first result of an operation. GraphQL errors are part
// of the result (see Event.Err), not an error of First.
func First(ctx context.Context, events <-chan Event) (Event, error) {
	select {
	case e, ok := <-events:
		if !ok || (e.Done && e.Data == nil && len(e.Errors) == 0) {
			return Event{}, ErrClosed
		}
		return e, nil
	case <-ctx.Done():
		return Event{}, ctx.Err()
	}
}

// Protocol is the negotiated sub-protocol.
func (c *Conn) Protocol() string { return c.protocol }

// Drop closes the TCP connection without a close handshake, as a client
// that vanishes does.
func (c *Conn) Drop() {
	_ = c.ws.CloseNow()
	<-c.done
}

// Done is closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Close closes the connection politely.
func (c *Conn) Close() error {
	err := c.ws.Close(websocket.StatusNormalClosure, "bye")
	<-c.done
	return err
}
