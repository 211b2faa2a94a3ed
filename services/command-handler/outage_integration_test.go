//go:build integration

package main

import (
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"openbank/messaging"
	"openbank/messaging/messagingtest"
	"openbank/topology/records"
)

func TestDatabaseOutageDelaysButSkipsNothing(t *testing.T) {
	pg := net.JoinHostPort(os.Getenv("DB_HOSTNAME"), os.Getenv("DB_PORT"))
	proxy := startProxy(t, pg)
	h, _ := startHandler(t, "DB_HOSTNAME=127.0.0.1", "DB_PORT="+strconv.Itoa(proxy.port))
	b := newBank(t)
	iban, _ := b.openAccount()

	proxy.stop() // the database is gone, connections and all
	var ids []uuid.UUID
	var msgs []messaging.Message
	for i := range 20 {
		id := uuid.New()
		ids = append(ids, id)
		msgs = append(msgs, transferCommand(id, "cash", int64(i+1), "cash", iban, "during the outage"))
	}
	b.send(msgs...)
	time.Sleep(3 * time.Second)
	for _, id := range ids {
		if fbs := b.feedbacks(id); len(fbs) != 0 {
			t.Fatalf("answered without a database: %+v", fbs)
		}
	}
	proxy.start()
	for _, id := range ids {
		if _, ok := b.feedback(id).(*records.MoneyTransferConfirmed); !ok {
			t.Fatalf("deposit %s not confirmed", id)
		}
	}
	if got := balance(t, db(t), iban); got != 210 { // 1 + 2 + ... + 20
		t.Errorf("balance %d, want 210", got)
	}
	if !strings.Contains(h.Output(), "retrying") {
		t.Errorf("no retry logged:\n%s", h.Output())
	}
}

// proxy forwards TCP connections to a target until stopped; stopping closes
// every connection, as a database that goes away would.
type proxy struct {
	t      *testing.T
	target string
	port   int
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, target: target, port: messagingtest.FreePort(t)}
	p.start()
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) start() {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)))
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
}

func (p *proxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
