// Package gqlws is a small GraphQL-over-WebSocket client speaking both
// sub-protocols the gateway serves, for tests and the benchmark.
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

// The two sub-protocols.
const (
	// TransportWS is graphql-transport-ws (the graphql-ws library).
	TransportWS = "graphql-transport-ws"
	// LegacyWS is graphql-ws as spoken by subscriptions-transport-ws.
	LegacyWS = "graphql-ws"
)

// Message is one protocol message.
type Message struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// Event is what a subscription receives: a result (Data/Errors), or the end
// (Done), possibly with protocol-level Errors.
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

// Conn is one WebSocket connection.
type Conn struct {
	ws       *websocket.Conn
	protocol string

	mu     sync.Mutex
	subs   map[string]chan Event
	nextID int
	err    error
	done   chan struct{}
}

// Dial connects to url (ws://host:port/graphql-ws) with protocol and
// completes the connection_init handshake.
func Dial(ctx context.Context, url, protocol string) (*Conn, error) {
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{protocol}})
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	ws.SetReadLimit(1 << 20)
	if ws.Subprotocol() != protocol {
		_ = ws.CloseNow()
		return nil, fmt.Errorf("server chose sub-protocol %q, want %q", ws.Subprotocol(), protocol)
	}
	c := &Conn{ws: ws, protocol: protocol, subs: map[string]chan Event{}, done: make(chan struct{})}
	if err := c.write(ctx, Message{Type: "connection_init", Payload: json.RawMessage(`{}`)}); err != nil {
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

// Protocol is the negotiated sub-protocol.
func (c *Conn) Protocol() string { return c.protocol }

func (c *Conn) write(ctx context.Context, m Message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return c.ws.Write(ctx, websocket.MessageText, b)
}

func (c *Conn) read(ctx context.Context) (Message, error) {
	_, b, err := c.ws.Read(ctx)
	if err != nil {
		return Message{}, err
	}
	var m Message
	if err := json.Unmarshal(b, &m); err != nil {
		return Message{}, fmt.Errorf("bad message %q: %w", b, err)
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
				ch <- Event{Done: true, Errors: []GraphQLError{{Message: "connection closed: " + err.Error()}}}
				close(ch)
				delete(c.subs, id)
			}
			c.mu.Unlock()
			return
		}
		switch m.Type {
		case "ping":
			_ = c.write(ctx, Message{Type: "pong"})
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
			// graphql-transport-ws ends an operation with error; the legacy
			// protocol may still send complete, which finds nothing then.
			c.deliver(m.ID, Event{Errors: errs, Done: true}, true)
		case "complete":
			c.deliver(m.ID, Event{Done: true}, true)
		}
	}
}

func (c *Conn) deliver(id string, e Event, last bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch, ok := c.subs[id]
	if !ok {
		return
	}
	select {
	case ch <- e:
	default:
		// The reader is far behind: drop the subscription rather than block every other.
		last = true
	}
	if last {
		close(ch)
		delete(c.subs, id)
	}
}

// Subscribe starts an operation; its events arrive on the channel, which is
// closed after the last (Done) one. buffer is the channel's size.
func (c *Conn) Subscribe(ctx context.Context, query string, variables map[string]any, buffer int) (id string, events <-chan Event, err error) {
	payload, err := json.Marshal(map[string]any{"query": query, "variables": variables})
	if err != nil {
		return "", nil, err
	}
	ch := make(chan Event, max(buffer, 2))
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return "", nil, c.err
	}
	c.nextID++
	id = strconv.Itoa(c.nextID)
	c.subs[id] = ch
	c.mu.Unlock()
	typ := "subscribe"
	if c.protocol == LegacyWS {
		typ = "start"
	}
	if err := c.write(ctx, Message{ID: id, Type: typ, Payload: payload}); err != nil {
		return "", nil, err
	}
	return id, ch, nil
}

// Stop ends an operation from the client's side.
func (c *Conn) Stop(ctx context.Context, id string) error {
	typ := "complete"
	if c.protocol == LegacyWS {
		typ = "stop"
	}
	return c.write(ctx, Message{ID: id, Type: typ})
}

// Close closes the connection politely.
func (c *Conn) Close() error {
	err := c.ws.Close(websocket.StatusNormalClosure, "bye")
	<-c.done
	return err
}

// Drop closes the TCP connection without a close handshake, as a client
// that vanishes does.
func (c *Conn) Drop() {
	_ = c.ws.CloseNow()
	<-c.done
}

// Done is closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { return c.done }

// ErrClosed is returned by First when the operation ended without a result.
var ErrClosed = errors.New("operation ended without a result")

// First waits for the first result of an operation.
func First(ctx context.Context, events <-chan Event) (Event, error) {
	select {
	case e, ok := <-events:
		if !ok {
			return Event{}, ErrClosed
		}
		return e, nil
	case <-ctx.Done():
		return Event{}, ctx.Err()
	}
}
