//go:build integration

package messaging_test

import (
	"context"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"openbank/messaging"
	"openbank/messaging/messagingtest"
)

// proxy forwards TCP connections to the broker's proxied listener (which
// advertises the proxy's address, so every connection of a client goes
// through it). Armed, it cuts a connection at the worst moment for a
// producer: the broker has a produce request, and the proxy swallows its
// answer and closes. The producer must send again what the broker already
// wrote; only idempotence keeps that from duplicating.
type proxy struct {
	l      net.Listener
	target string
	armed  atomic.Int32 // cuts still to make
	cuts   atomic.Int32 // cuts made
	mu     sync.Mutex
	conns  map[net.Conn]bool
}

// A read this large from a producer is a produce request, not metadata.
const produceRequestBytes = 1024

func startProxy(t *testing.T, listen, target string) *proxy {
	l, err := net.Listen("tcp", listen)
	if err != nil {
		t.Fatalf("proxy: %v", err)
	}
	p := &proxy{l: l, target: target, conns: map[net.Conn]bool{}}
	go p.serve()
	t.Cleanup(func() {
		_ = l.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		for c := range p.conns {
			_ = c.Close()
		}
	})
	return p
}

func (p *proxy) serve() {
	for {
		client, err := p.l.Accept()
		if err != nil {
			return
		}
		broker, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = client.Close()
			continue
		}
		p.mu.Lock()
		p.conns[client], p.conns[broker] = true, true
		p.mu.Unlock()
		var produced atomic.Bool
		answered := 0 // produce answers passed on; a client may treat a connection that never answered as misconfigured and back off
		go p.pipe(client, broker, func(n int) bool {
			if n >= produceRequestBytes {
				produced.Store(true)
			}
			return true
		})
		go p.pipe(broker, client, func(int) bool {
			if !produced.Swap(false) {
				return true
			}
			if answered > 0 && p.take() {
				p.cuts.Add(1)
				return false // the answer is lost with the connection
			}
			answered++
			return true
		})
	}
}

// take uses up one armed cut, if any is left.
func (p *proxy) take() bool {
	for {
		n := p.armed.Load()
		if n <= 0 {
			return false
		}
		if p.armed.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

// pipe copies from one side to the other while pass says so, then closes both.
func (p *proxy) pipe(from, to net.Conn, pass func(n int) bool) {
	buf := make([]byte, 64<<10)
	for {
		n, err := from.Read(buf)
		if n > 0 {
			if !pass(n) {
				break
			}
			if _, werr := to.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	_ = from.Close()
	_ = to.Close()
	p.mu.Lock()
	delete(p.conns, from)
	delete(p.conns, to)
	p.mu.Unlock()
}

// Produce answers lost on the wire: the producer's retries neither duplicate
// nor reorder (idempotence, acks=all).
func testProducerDisturbed(t *testing.T, k *fixture) {
	listen, target := os.Getenv("KAFKA_PROXY_BROKERS"), os.Getenv("KAFKA_PROXY_TARGET")
	if listen == "" || target == "" {
		t.Skip("the stack has no proxied listener: run deploy/test-stack.sh with TEST_KAFKA_PROXY_PORT set")
	}
	const chunks, perChunk, cuts = 20, 1000, 4
	topic := k.topic(1)
	px := startProxy(t, listen, target)
	px.armed.Store(cuts)
	cfg := k.cfg
	cfg.Brokers = listen
	p, err := messaging.NewProducer(cfg, k.serde, messagingtest.Log(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := k.ctx(3 * time.Minute)
	// Two chunks in flight at a time: several produce requests, each cut one
	// with the next one possibly already sent behind it.
	var waits []func(context.Context) error
	for c := range chunks + 1 {
		if c < chunks {
			wait, err := p.SendAsync(ctx, beats(topic, "one", c*perChunk, (c+1)*perChunk)...)
			if err != nil {
				t.Fatal(err)
			}
			waits = append(waits, wait)
		}
		if c > 0 {
			if err := waits[c-1](ctx); err != nil {
				t.Fatalf("delivery through cut connections: %v", err)
			}
		}
	}
	t.Logf("%s: %d records produced; %d produce answers lost with their connection", k.client, chunks*perChunk, px.cuts.Load())
	if px.cuts.Load() != cuts {
		t.Fatalf("%d answers lost, want %d: the disturbance was not exercised", px.cuts.Load(), cuts)
	}
	exactlyInOrder(t, k.readAll(topic), chunks*perChunk)
}

// The TLS listener wants a client certificate: with one both clients connect,
// produce and read; without one they are refused.
func testTLS(t *testing.T, k *fixture) {
	brokers := os.Getenv("KAFKA_TLS_BROKERS")
	if brokers == "" {
		t.Skip("the stack has no TLS listener: run deploy/test-stack.sh with TEST_KAFKA_TLS_PORT set")
	}
	topic := k.topic(1)
	cfg := k.cfg
	cfg.Brokers = brokers
	cfg.CALocation = os.Getenv("KAFKA_TLS_CA_LOCATION")
	cfg.CertificateLocation = os.Getenv("KAFKA_TLS_CERTIFICATE_LOCATION")
	cfg.KeyLocation = os.Getenv("KAFKA_TLS_KEY_LOCATION")
	log := messagingtest.Log(t)

	admin, err := messaging.NewAdmin(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if n, err := admin.Brokers(k.ctx(30 * time.Second)); err != nil || n < 1 {
		t.Fatalf("over TLS with a client certificate: Brokers %d, %v", n, err)
	}
	p, err := messaging.NewProducer(cfg, k.serde, log)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Send(k.ctx(time.Minute), beats(topic, "one", 0, 3)...); err != nil {
		t.Fatalf("produce over TLS: %v", err)
	}
	tp := messaging.TopicPartition{Topic: topic, Partition: 0}
	r, err := messaging.NewReader(cfg, map[messaging.TopicPartition]int64{tp: messaging.OffsetBeginning}, "", log)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Close() }()
	if got := k.readUntil(r, time.Minute, func(r []messaging.RawRecord) bool { return len(r) >= 3 }); len(got) != 3 {
		t.Fatalf("read %d records over TLS, want 3", len(got))
	}

	// Without a certificate: refused by the broker's TLS handshake, which the
	// clients log (a mere time-out would not do); the send gives up then.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var rejections atomic.Int32
	watched := slog.New(&watchLog{Handler: log.Handler(), watch: func(r slog.Record) {
		text := r.Message
		r.Attrs(func(a slog.Attr) bool { text += " " + a.Value.String(); return true })
		if strings.Contains(text, "bad certificate") || strings.Contains(text, "certificate required") {
			rejections.Add(1)
			cancel()
		}
	}})
	anonymous := cfg
	anonymous.CertificateLocation, anonymous.KeyLocation = "", ""
	noCert, err := messaging.NewProducer(anonymous, k.serde, watched)
	if err != nil {
		t.Fatal(err)
	}
	defer noCert.Close()
	if err := noCert.Send(ctx, beats(topic, "one", 3, 4)...); err == nil {
		t.Fatal("without a client certificate a record was produced")
	}
	if rejections.Load() == 0 {
		t.Fatal("without a client certificate the producer failed, but no TLS rejection was logged")
	}
}
