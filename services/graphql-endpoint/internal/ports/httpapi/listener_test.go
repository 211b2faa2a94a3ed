package httpapi

import (
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"openbank/services/graphql-endpoint/internal/app/client"
)

// pipeListener hands out the server ends of in-memory connections from addr.
type pipeListener struct {
	conns chan net.Conn
}

func (l *pipeListener) Accept() (net.Conn, error) {
	c, ok := <-l.conns
	if !ok {
		return nil, net.ErrClosed
	}
	return c, nil
}
func (l *pipeListener) Close() error   { return nil }
func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{} }

type fromAddr struct {
	net.Conn
	addr string
}

func (c fromAddr) RemoteAddr() net.Addr { a, _ := net.ResolveTCPAddr("tcp", c.addr); return a }

// dial makes a connection from addr; it returns the client's end.
func (l *pipeListener) dial(addr string) net.Conn {
	server, client := net.Pipe()
	l.conns <- fromAddr{server, addr}
	return client
}

func TestListenerCapsConnectionsPerClient(t *testing.T) {
	pl := &pipeListener{conns: make(chan net.Conn, 8)}
	l := &Listener{Listener: pl, MaxPerClient: 2}
	var accepted []net.Conn
	for range 2 {
		pl.dial("10.0.0.1:1000")
		c, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		accepted = append(accepted, c)
	}
	// The third from the same address is refused with 429; another address is not.
	third := pl.dial("10.0.0.1:1003")
	pl.dial("10.0.0.2:1000")
	c, err := l.Accept()
	if err != nil || client.IP(c.RemoteAddr().String()) != "10.0.0.2" {
		t.Fatalf("accepted %v, %v; want the other address", c, err)
	}
	answer, _ := io.ReadAll(third)
	if !strings.HasPrefix(string(answer), "HTTP/1.1 429") {
		t.Errorf("refused connection read %q", answer)
	}
	// Closing one frees a slot.
	_ = accepted[0].Close()
	pl.dial("10.0.0.1:1004")
	if c, err := l.Accept(); err != nil || c == nil {
		t.Errorf("after a close: %v", err)
	}
}

func TestListenerWriteDeadline(t *testing.T) {
	pl := &pipeListener{conns: make(chan net.Conn, 1)}
	l := &Listener{Listener: pl, WriteTimeout: 50 * time.Millisecond}
	client := pl.dial("10.0.0.1:1000")
	defer client.Close()
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	// The client never reads: the write must give up instead of blocking for ever.
	done := make(chan error, 1)
	go func() { _, err := c.Write([]byte("event")); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("write to a peer that does not read: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("write blocked past its deadline (bound 50 ms, waited a minute)")
	}
}
