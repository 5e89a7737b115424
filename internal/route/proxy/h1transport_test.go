package proxy

import (
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/esdr/esdr/testbed/poll"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestTheOwnClientDialsAgainWhenTheNodeClosedAnIdleConnection: a node that drops its
// idle connections (a keep-alive timeout shorter than the proxy's) costs a dial, never a
// failed request — the pooled connection is checked before it carries one.
func TestTheOwnClientDialsAgainWhenTheNodeClosedAnIdleConnection(t *testing.T) {
	b := newBackend(t, "primary", nil)
	h := startProxy(t, Config{UpstreamClient: UpstreamH1}, newRouter("primary", 1, b.url()), &fakeProber{})
	for i := range 5 {
		if a := h.do(t, http.MethodPost, "/idx/_doc", `{"n":1}`); a.status != 201 && a.status != 200 {
			t.Fatalf("write %d: %d %s", i, a.status, a.body)
		}
		b.srv.CloseClientConnections() // the node drops every connection, the idle one included
		poll.Eventually(t, "the node closed its connections", 5*time.Second, func() bool { return b.conns.Load() == 0 })
	}
	if n := b.hits.Load(); n != 5 {
		t.Fatalf("the node saw %d requests, want 5: each write once, none lost to a stale connection", n)
	}
}

// TestTheOwnClientSendsAReadAgainOnAFreshConnectionWhenThePooledOneWasClosed: a read
// takes a connection used a moment ago without checking it, so a node that closed it
// meanwhile costs a second send on a fresh connection — not a retry, not a failed node.
func TestTheOwnClientSendsAReadAgainOnAFreshConnectionWhenThePooledOneWasClosed(t *testing.T) {
	b := newBackend(t, "primary", nil)
	h := startProxy(t, Config{UpstreamClient: UpstreamH1}, newRouter("primary", 1, b.url()), &fakeProber{})
	for i := range 5 {
		if a := h.do(t, http.MethodGet, "/idx/_doc/1", ""); a.status != http.StatusOK {
			t.Fatalf("read %d: %d %s", i, a.status, a.body)
		}
		b.srv.CloseClientConnections() // the pooled connection is taken unchecked: it was used just now
		poll.Eventually(t, "the node closed its connections", 5*time.Second, func() bool { return b.conns.Load() == 0 })
	}
	if n := b.hits.Load(); n != 5 {
		t.Fatalf("the node saw %d requests, want 5", n)
	}
	for _, class := range []string{retryReadFailed, retryNotDelivered} {
		if n := testutil.ToFloat64(h.px.m.retries.WithLabelValues(class)); n != 0 {
			t.Fatalf("%v retries (%s): a closed pooled connection is not a failed node", n, class)
		}
	}
}

// TestAPooledConnectionIdleTooLongIsClosedNotUsed: a connection unused for the idle
// timeout may have lost its state on the way (a NAT, a firewall) without either end
// knowing: it is closed when next taken, and when a put finds it at the bottom of the
// stack.
func TestAPooledConnectionIdleTooLongIsClosedNotUsed(t *testing.T) {
	b := newBackend(t, "primary", nil)
	tr := newH1Transport(Config{}.withDefaults(), (&net.Dialer{}).DialContext, nil)
	defer tr.CloseIdleConnections()
	get := func() *upConn {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, b.url()+"/", nil)
		res, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		u := res.Body.(*h1Body).u
		res.Body.Close()
		return u
	}
	first := get()
	first.used = time.Now().Add(-2 * tr.idleTimeout)
	if second := get(); second == first {
		t.Fatal("a connection idle past the timeout carried a request")
	}
	poll.Eventually(t, "the expired connection closed", 5*time.Second, func() bool { return b.conns.Load() == 1 })

	// Two pooled, the bottom one expired: the next put lets it go.
	var held []*http.Response
	for range 2 {
		req, _ := http.NewRequest(http.MethodGet, b.url()+"/", nil)
		res, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		held = append(held, res)
	}
	for _, res := range held {
		res.Body.Close()
	}
	tr.mu.Lock()
	idle := tr.idle[first.addr]
	if len(idle) != 2 {
		tr.mu.Unlock()
		t.Fatalf("%d connections pooled, want 2", len(idle))
	}
	idle[0].used = time.Now().Add(-2 * tr.idleTimeout)
	tr.mu.Unlock()
	get()
	poll.Eventually(t, "the bottom connection closed", 5*time.Second, func() bool { return b.conns.Load() == 1 })
}
