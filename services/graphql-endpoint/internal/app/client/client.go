// Package client says who sent a request: the TCP peer, or, when that peer
// is a trusted proxy, the address that proxy says it forwarded for.
package client

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

type key struct{}

// With returns ctx carrying the client id.
func With(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, key{}, id)
}

// From is the client id of ctx ("" when none was set).
func From(ctx context.Context) string {
	c, _ := ctx.Value(key{}).(string)
	return c
}

// Proxies are the peers trusted to say, in X-Forwarded-For, whom they
// forward for. The zero value trusts none.
type Proxies struct{ prefixes []netip.Prefix }

// ParseProxies reads a comma-separated list of addresses and CIDR prefixes
// (TRUSTED_PROXIES).
func ParseProxies(list string) (Proxies, error) {
	var p Proxies
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if pre, err := netip.ParsePrefix(s); err == nil {
			p.prefixes = append(p.prefixes, pre.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return Proxies{}, fmt.Errorf("trusted proxy %q: want an address or a CIDR prefix", s)
		}
		a = a.Unmap()
		p.prefixes = append(p.prefixes, netip.PrefixFrom(a, a.BitLen()))
	}
	return p, nil
}

// Trusts says whether addr (an IP address) is a trusted proxy.
func (p Proxies) Trusts(addr string) bool {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, pre := range p.prefixes {
		if pre.Contains(a) {
			return true
		}
	}
	return false
}

// Of is r's client: its peer's IP address unless that peer is trusted; then
// the rightmost address of X-Forwarded-For that is not a trusted proxy
// (what a client writes there itself is further left, and not believed).
// A trusted peer that forwards nothing usable is itself the client.
func (p Proxies) Of(r *http.Request) string {
	peer := IP(r.RemoteAddr)
	if !p.Trusts(peer) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		a, err := netip.ParseAddr(hop)
		if err != nil {
			return peer // a hop we cannot read: trust nothing left of it
		}
		if hop = a.Unmap().String(); !p.Trusts(hop) {
			return hop
		}
	}
	return peer
}

// IP is the host part of a host:port address (addr itself if it has none).
func IP(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}
