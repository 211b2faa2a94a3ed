//go:build integration

package e2e

import (
	"fmt"
	"net"
	"sync"
	"testing"
)

// freezer is a TCP proxy to the gateway that can go silent: while frozen it
// forwards nothing and holds new connections, without closing any, as a
// dropped network or a sleeping laptop does. Only keep-alive pings can tell.
type freezer struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	frozen bool
	thawed *sync.Cond
	conns  map[net.Conn]bool
}

func newFreezer(t *testing.T, targetPort int) *freezer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{ln: ln, target: fmt.Sprintf("127.0.0.1:%d", targetPort), conns: map[net.Conn]bool{}}
	f.thawed = sync.NewCond(&f.mu)
	go f.accept()
	t.Cleanup(func() {
		_ = ln.Close()
		f.Thaw()
	})
	return f
}

func (f *freezer) Port() int { return f.ln.Addr().(*net.TCPAddr).Port }

func (f *freezer) accept() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		go f.serve(c)
	}
}

func (f *freezer) serve(c net.Conn) {
	f.track(c, true)
	defer f.track(c, false)
	f.waitThawed()
	up, err := net.Dial("tcp", f.target)
	if err != nil {
		_ = c.Close()
		return
	}
	f.track(up, true)
	defer f.track(up, false)
	go f.pipe(up, c)
	f.pipe(c, up)
}

// pipe copies from src to dst, holding each chunk while frozen.
func (f *freezer) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			f.waitThawed()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil { // io.EOF too: the other side's half closes with it
			return
		}
	}
}

func (f *freezer) track(c net.Conn, open bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if open {
		f.conns[c] = true
	} else {
		delete(f.conns, c)
	}
}

func (f *freezer) waitThawed() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for f.frozen {
		f.thawed.Wait()
	}
}

// Freeze stops all traffic, silently.
func (f *freezer) Freeze() {
	f.mu.Lock()
	f.frozen = true
	f.mu.Unlock()
}

// Thaw closes what was held during the freeze (as a network that comes back
// finds the old connections gone) and lets traffic through again.
func (f *freezer) Thaw() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.frozen {
		return
	}
	for c := range f.conns {
		_ = c.Close()
	}
	f.frozen = false
	f.thawed.Broadcast()
}
