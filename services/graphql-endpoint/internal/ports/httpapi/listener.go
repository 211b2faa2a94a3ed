package httpapi

import (
	"net"
	"sync"
	"time"

	"openbank/services/graphql-endpoint/internal/app/client"
)

// Listener caps the connections open per client (remote IP address) and
// gives every write a deadline, WebSockets included (their writes have none
// of their own): a peer that stops reading cannot hold a goroutine forever.
type Listener struct {
	net.Listener
	MaxPerClient int           // 0: no cap
	WriteTimeout time.Duration // 0: none
	// Proxies are not capped: each carries many clients (their own bounds hold).
	Proxies client.Proxies

	mu   sync.Mutex
	open map[string]int
}

// Accept returns the next connection within its client's cap; one over it
// gets 429 and is closed.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		peer := client.IP(c.RemoteAddr().String())
		if l.admit(peer) {
			return &limitedConn{Conn: c, l: l, client: peer}, nil
		}
		go refuse(c)
	}
}

func (l *Listener) admit(client string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open == nil {
		l.open = map[string]int{}
	}
	if l.MaxPerClient > 0 && l.open[client] >= l.MaxPerClient && !l.Proxies.Trusts(client) {
		return false
	}
	l.open[client]++
	return true
}

func (l *Listener) release(client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[client]--; l.open[client] <= 0 {
		delete(l.open, client)
	}
}

// refuse tells an HTTP client why, briefly, and closes.
func refuse(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(time.Second))
	_, _ = c.Write([]byte("HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain\r\nConnection: close\r\n" +
		"Content-Length: 45\r\n\r\ntoo many connections from this client address\n"))
	_ = c.Close()
}

type limitedConn struct {
	net.Conn
	l      *Listener
	client string
	once   sync.Once
}

func (c *limitedConn) Write(b []byte) (int, error) {
	if c.l.WriteTimeout > 0 {
		_ = c.Conn.SetWriteDeadline(time.Now().Add(c.l.WriteTimeout))
	}
	return c.Conn.Write(b)
}

func (c *limitedConn) Close() error {
	c.once.Do(func() { c.l.release(c.client) })
	return c.Conn.Close()
}
