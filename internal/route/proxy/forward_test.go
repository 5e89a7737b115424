package proxy

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestRoundRobinOverNodes(t *testing.T) {
	b := []*backend{newBackend(t, "a1", nil), newBackend(t, "a2", nil), newBackend(t, "a3", nil)}
	h := startProxy(t, Config{}, newRouter("east", 1, b[0].url(), b[1].url(), b[2].url()), &fakeProber{})
	for range 9 {
		a := h.do(t, "GET", "/_cluster/health", "")
		if a.status != 200 || a.cluster != "east" || a.header.Get(headerEpoch) != "1" {
			t.Fatalf("got %d cluster %q epoch %q", a.status, a.cluster, a.header.Get(headerEpoch))
		}
	}
	for _, n := range b {
		if got := n.hits.Load(); got != 3 {
			t.Errorf("%s got %d requests, want 3", n.name, got)
		}
	}
}

func TestRefusingNodeIsSkippedWithoutError(t *testing.T) {
	b1, b2 := newBackend(t, "a2", nil), newBackend(t, "a3", nil)
	p := &fakeProber{}
	h := startProxy(t, Config{}, newRouter("east", 1, refusedURL(t), b1.url(), b2.url()), p)
	for i := range 10 {
		for _, req := range [][3]string{{"GET", "/idx/_doc/1", ""}, {"POST", "/idx/_doc", `{"n":1}`}} {
			if a := h.do(t, req[0], req[1], req[2]); a.status != 200 {
				t.Fatalf("request %d %s %s: %d %s", i, req[0], req[1], a.status, a.body)
			}
		}
	}
	if got := b1.hits.Load() + b2.hits.Load(); got != 20 {
		t.Errorf("healthy nodes got %d requests, want 20 (each exactly once)", got)
	}
	if testutil.ToFloat64(h.px.m.retries.WithLabelValues(retryNotDelivered)) == 0 {
		t.Error("no not_delivered retry counted")
	}
	if p.calls.Load() != 0 {
		t.Errorf("ProbeNow called %d times while the cluster had healthy nodes", p.calls.Load())
	}
}

// TestFailoverWithinWait: every node of east refuses; the proxy asks for a probe, the
// "decision" switches to west, and reads and never-delivered writes all succeed there.
func TestFailoverWithinWait(t *testing.T) {
	west := newBackend(t, "w1", nil)
	r := newRouter("east", 1, refusedURL(t), refusedURL(t))
	p := &fakeProber{onProbe: func(string) {
		time.Sleep(50 * time.Millisecond)
		r.set("west", 2, west.url())
	}}
	h := startProxy(t, Config{FailoverWait: 10 * time.Second}, r, p)
	type req struct{ method, path, body string }
	reqs := []req{{"GET", "/idx/_search", ""}, {"POST", "/idx/_search", `{}`}, {"POST", "/_bulk", "{}\n{}\n"}, {"PUT", "/idx/_doc/1", `{"a":1}`}}
	results := make(chan answer, len(reqs))
	for _, q := range reqs {
		go func() { results <- h.do(t, q.method, q.path, q.body) }()
	}
	for range reqs {
		if a := <-results; a.status != 200 || a.cluster != "west" {
			t.Errorf("got %d from %q: %s", a.status, a.cluster, a.body)
		}
	}
	if west.hits.Load() != int32(len(reqs)) {
		t.Errorf("west got %d requests, want %d", west.hits.Load(), len(reqs))
	}
	if p.calls.Load() == 0 {
		t.Error("ProbeNow never called")
	}
}

func TestNoFailoverDecidedAnswers502(t *testing.T) {
	h := startProxy(t, Config{FailoverWait: 50 * time.Millisecond}, newRouter("east", 1, refusedURL(t)), &fakeProber{})
	a := h.do(t, "GET", "/", "")
	if a.status != http.StatusBadGateway || esErrorType(t, a) != typeUpstreamUnreachable {
		t.Fatalf("got %d %s", a.status, a.body)
	}
}

// cutAfterRead reads the whole request, then drops the connection without answering.
func cutAfterRead(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

func TestWriteWithUnknownOutcomeIsNotReplayed(t *testing.T) {
	cut, good := newBackend(t, "a1", cutAfterRead), newBackend(t, "a2", nil)
	h := startProxy(t, Config{}, newRouter("east", 7, cut.url(), good.url()), &fakeProber{})
	// Round robin starts at a1; the write must fail there and never reach a2.
	a := h.do(t, "POST", "/idx/_doc", `{"a":1}`)
	if a.status != http.StatusBadGateway || esErrorType(t, a) != typeWriteOutcomeUnknown {
		t.Fatalf("got %d %s", a.status, a.body)
	}
	for _, want := range []string{cut.url(), `"east"`, "epoch 7"} {
		if !strings.Contains(a.body, strings.ReplaceAll(want, `"`, `\"`)) {
			t.Errorf("reason does not name %s: %s", want, a.body)
		}
	}
	if cut.hits.Load() != 1 || good.hits.Load() != 0 {
		t.Errorf("hits: cut %d, good %d, want 1 and 0", cut.hits.Load(), good.hits.Load())
	}
}

func TestReadIsRetriedAfterConnectionLost(t *testing.T) {
	cut, good := newBackend(t, "a1", cutAfterRead), newBackend(t, "a2", nil)
	h := startProxy(t, Config{}, newRouter("east", 1, cut.url(), good.url()), &fakeProber{})
	a := h.do(t, "POST", "/idx/_search", `{"query":{"match_all":{}}}`)
	if a.status != 200 || !strings.Contains(a.body, "a2") {
		t.Fatalf("got %d %s", a.status, a.body)
	}
	if testutil.ToFloat64(h.px.m.retries.WithLabelValues(retryReadFailed)) != 1 {
		t.Error("read_failed retry not counted")
	}
}

// TestEpochChangeFencesOldCluster: after the switch, east's connections are closed and
// east, still up, receives nothing more.
func TestEpochChangeFencesOldCluster(t *testing.T) {
	east, west := newBackend(t, "e1", nil), newBackend(t, "w1", nil)
	r := newRouter("east", 1, east.url())
	h := startProxy(t, Config{}, r, &fakeProber{})
	if a := h.do(t, "GET", "/", ""); a.cluster != "east" {
		t.Fatalf("served by %q", a.cluster)
	}
	if east.conns.Load() == 0 {
		t.Fatal("no keep-alive connection to east to begin with")
	}
	r.set("west", 2, west.url())
	waitFor(t, "east's connections closed", func() bool { return east.conns.Load() == 0 })
	before := east.hits.Load()
	for range 5 {
		if a := h.do(t, "GET", "/", ""); a.status != 200 || a.cluster != "west" || a.header.Get(headerEpoch) != "2" {
			t.Fatalf("got %d from %q", a.status, a.cluster)
		}
	}
	if east.hits.Load() != before {
		t.Errorf("east got %d requests after the epoch changed", east.hits.Load()-before)
	}
}

// TestHungReadMovesOnEpochChange: a read stuck on a hung cluster is aborted when the
// epoch changes and served by the new cluster.
func TestHungReadMovesOnEpochChange(t *testing.T) {
	release := make(chan struct{})
	east := newBackend(t, "e1", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	west := newBackend(t, "w1", nil)
	r := newRouter("east", 1, east.url())
	h := startProxy(t, Config{}, r, &fakeProber{})
	go func() {
		waitFor(t, "the read to reach east", func() bool { return east.hits.Load() == 1 })
		r.set("west", 2, west.url())
	}()
	if a := h.do(t, "GET", "/idx/_search", ""); a.status != 200 || a.cluster != "west" {
		t.Fatalf("got %d from %q: %s", a.status, a.cluster, a.body)
	}
}

func TestScrollDoesNotFollowFailover(t *testing.T) {
	west := newBackend(t, "w1", nil)
	r := newRouter("east", 1, refusedURL(t))
	p := &fakeProber{onProbe: func(string) { r.set("west", 2, west.url()) }}
	h := startProxy(t, Config{FailoverWait: 50 * time.Millisecond}, r, p)
	a := h.do(t, "POST", "/_search/scroll", `{"scroll_id":"x"}`)
	if a.status != http.StatusBadGateway || west.hits.Load() != 0 {
		t.Fatalf("got %d, west hits %d", a.status, west.hits.Load())
	}
}

func TestEndpointErrorFailsClosed(t *testing.T) {
	b := newBackend(t, "a1", nil)
	r := newRouter("east", 1, b.url())
	r.fail(errStateUnreadable)
	h := startProxy(t, Config{}, r, &fakeProber{})
	a := h.do(t, "GET", "/", "")
	if a.status != http.StatusServiceUnavailable || esErrorType(t, a) != typeUnavailable {
		t.Fatalf("got %d %s", a.status, a.body)
	}
	if b.hits.Load() != 0 {
		t.Error("a request went out while the epoch was unknown")
	}
	if testutil.ToFloat64(h.px.m.unavailable) != 1 {
		t.Error("esdr_proxy_unavailable_total not counted")
	}
}

func TestStaleEpochFailsClosed(t *testing.T) {
	b := newBackend(t, "a1", nil)
	r := newRouter("east", 5, b.url())
	h := startProxy(t, Config{}, r, &fakeProber{})
	h.do(t, "GET", "/", "")
	r.set("west", 4, b.url())
	if a := h.do(t, "GET", "/", ""); a.status != http.StatusServiceUnavailable {
		t.Fatalf("got %d after the epoch went backwards", a.status)
	}
}

// waitFor polls cond; it fails the test if cond stays false for long (not a timing
// assertion: only a guard against hanging).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Errorf("timed out waiting for %s", what)
}
