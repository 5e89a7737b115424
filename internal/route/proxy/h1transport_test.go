package proxy

import (
	"net/http"
	"testing"
	"time"
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
		deadline := time.Now().Add(5 * time.Second)
		for b.conns.Load() > 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
	}
	if n := b.hits.Load(); n != 5 {
		t.Fatalf("the node saw %d requests, want 5: each write once, none lost to a stale connection", n)
	}
}
