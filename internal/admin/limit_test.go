package admin

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestGate: one call at a time, starts spaced; a refused call does not count as a start.
func TestGate(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	g := newGate(time.Second)
	g.now = func() time.Time { return now }
	leave, _, _ := g.enter()
	if leave == nil {
		t.Fatal("the first call was refused")
	}
	if l, wait, why := g.enter(); l != nil || wait != busyRetry || why != "another call is running; one runs at a time" {
		t.Errorf("while busy: let in %v, wait %s, %q; want refused for %s", l != nil, wait, why, busyRetry)
	}
	leave()
	now = now.Add(300 * time.Millisecond)
	if l, wait, why := g.enter(); l != nil || wait != 700*time.Millisecond || why != "calls start at most once per 1s" {
		t.Errorf("300ms after the last start: let in %v, wait %s, %q; want refused for 700ms", l != nil, wait, why)
	}
	now = now.Add(700 * time.Millisecond)
	if l, _, _ := g.enter(); l == nil {
		t.Error("a call a second after the last start was refused")
	}
	unspaced := newGate(0)
	for i := range 3 {
		l, _, _ := unspaced.enter()
		if l == nil {
			t.Fatalf("call %d on a gate without spacing was refused", i)
		}
		l()
	}
}

// TestHostsAllow covers what an HTTP test on loopback cannot: the address a request
// arrived on, and the listen host.
func TestHostsAllow(t *testing.T) {
	req := func(host string, local net.Addr) *http.Request {
		r, _ := http.NewRequestWithContext(context.Background(), "GET", "http://x/v1/status", nil)
		r.Host = host
		if local != nil {
			r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, local))
		}
		return r
	}
	local := &net.TCPAddr{IP: net.ParseIP("10.1.2.3"), Port: 9310}
	all := newHosts("0.0.0.0:9310", nil)
	named := newHosts("esdr-1.internal:9310", []string{"10.9.9.9", "2001:db8::1"})
	cases := []struct {
		name  string
		h     hosts
		r     *http.Request
		allow bool
	}{
		{"the address it arrived on", all, req("10.1.2.3:9310", local), true},
		{"another address of the machine", all, req("10.1.2.4:9310", local), false},
		{"no local address known", all, req("10.1.2.3", nil), false},
		{"the unspecified address is no name", all, req("0.0.0.0:9310", nil), false},
		{"an empty Host", all, req("", local), false},
		{"the listen host", named, req("esdr-1.internal:9310", nil), true},
		{"a configured address", named, req("10.9.9.9", nil), true},
		{"a configured IPv6 address, another spelling", named, req("[2001:db8:0::1]:9310", nil), true},
		{"a mapped loopback address", named, req("[::ffff:127.0.0.1]:9310", nil), true},
		{"a name not configured", named, req("esdr-2.internal:9310", nil), false},
	}
	for _, c := range cases {
		if got := c.h.allows(c.r); got != c.allow {
			t.Errorf("%s (Host %q): allows = %v, want %v", c.name, c.r.Host, got, c.allow)
		}
	}
}
