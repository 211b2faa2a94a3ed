package client

import (
	"net/http/httptest"
	"testing"
)

// TestProxiesOf (issue 31 item 3): behind a trusted proxy the client is the
// rightmost untrusted hop of X-Forwarded-For; a client cannot choose its id
// by writing the header itself, directly or through the proxy.
func TestProxiesOf(t *testing.T) {
	p, err := ParseProxies("10.0.0.0/8, 192.0.2.7 ,::1")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		peer, xff, want string
	}{
		{"203.0.113.5:1234", "", "203.0.113.5"},
		{"203.0.113.5:1234", "198.51.100.1", "203.0.113.5"},         // not a proxy: its header is ignored
		{"10.1.2.3:80", "198.51.100.1", "198.51.100.1"},             // nginx's append
		{"10.1.2.3:80", "1.1.1.1, 198.51.100.1", "198.51.100.1"},    // the client's own guess is further left
		{"10.1.2.3:80", "198.51.100.1, 10.9.9.9", "198.51.100.1"},   // two proxies
		{"192.0.2.7:80", "198.51.100.1, 192.0.2.7", "198.51.100.1"}, // one address
		{"10.1.2.3:80", "", "10.1.2.3"},                             // a proxy forwarding nothing
		{"10.1.2.3:80", "garbage", "10.1.2.3"},
		{"10.1.2.3:80", "::ffff:198.51.100.9", "198.51.100.9"},
		{"[::1]:80", "2001:db8::1", "2001:db8::1"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.peer
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := p.Of(r); got != c.want {
			t.Errorf("peer %s, X-Forwarded-For %q: %s, want %s", c.peer, c.xff, got, c.want)
		}
	}
	if got := (Proxies{}).Of(httptest.NewRequest("GET", "/", nil)); got != "192.0.2.1" {
		t.Errorf("no trusted proxies: %s", got)
	}
	if _, err := ParseProxies("10.0.0.0/8,nginx"); err == nil {
		t.Error("a host name was accepted")
	}
}
