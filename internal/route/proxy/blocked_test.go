package proxy

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const readOnlyBody = `{"error":{"root_cause":[{"type":"cluster_block_exception","reason":"blocked by: [FORBIDDEN/6/cluster read-only (api)];"}],"type":"cluster_block_exception","reason":"blocked by: [FORBIDDEN/6/cluster read-only (api)];"},"status":403}`

// fencedFor answers writes with the read-only block until unfenced is set.
func fencedFor(unfenced *atomic.Bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodGet && !unfenced.Load() {
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, readOnlyBody)
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"result":"created"}`)
	}
}

// A write that reaches the new active cluster before the plan lifted its read-only block
// is held and retried — it was not applied — and succeeds once the block is gone.
func TestWriteHeldWhileNewActiveIsUnfenced(t *testing.T) {
	var unfenced atomic.Bool
	b := newBackend(t, "w1", fencedFor(&unfenced))
	h := startProxy(t, Config{FailoverWait: 3 * time.Second}, newRouter("west", 2, b.url()), &fakeProber{})
	go func() { time.Sleep(500 * time.Millisecond); unfenced.Store(true) }()
	a := h.do(t, "PUT", "/idx/_doc/1", `{"x":1}`)
	if a.status != http.StatusCreated {
		t.Fatalf("write answered %d %s, want 201 once the block was lifted", a.status, a.body)
	}
	if hits := b.hits.Load(); hits < 2 {
		t.Fatalf("backend saw %d attempts, want the refused ones and the accepted one", hits)
	}
}

// Outside the first failover_wait of an epoch, a read-only cluster is the operator's
// business: the block is passed to the client at once.
func TestWriteBlockPassedThroughLaterInTheEpoch(t *testing.T) {
	var unfenced atomic.Bool
	b := newBackend(t, "w1", fencedFor(&unfenced))
	h := startProxy(t, Config{FailoverWait: 200 * time.Millisecond}, newRouter("west", 2, b.url()), &fakeProber{})
	h.do(t, "GET", "/", "") // builds the epoch's pool
	time.Sleep(300 * time.Millisecond)
	before := b.hits.Load()
	a := h.do(t, "PUT", "/idx/_doc/1", `{"x":1}`)
	if a.status != http.StatusForbidden || b.hits.Load()-before != 1 {
		t.Fatalf("write answered %d after %d attempts, want the 403 after one", a.status, b.hits.Load()-before)
	}
}

// A write hung on a cluster that stops being active is answered at once as
// outcome-unknown (it may still apply there later), not held until upstream_timeout,
// and never replayed on the new cluster.
func TestHungWriteAnsweredOnEpochChange(t *testing.T) {
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
	h := startProxy(t, Config{UpstreamTimeout: time.Minute}, r, &fakeProber{})
	go func() {
		waitFor(t, "the write to reach east", func() bool { return east.hits.Load() == 1 })
		r.set("west", 2, west.url())
	}()
	start := time.Now()
	a := h.do(t, "PUT", "/idx/_doc/1", `{"x":1}`)
	if a.status != http.StatusBadGateway || !strings.Contains(a.body, typeWriteOutcomeUnknown) {
		t.Fatalf("hung write answered %d %s, want 502 %s", a.status, a.body, typeWriteOutcomeUnknown)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("answered after %s, not at the epoch change", took)
	}
	if west.hits.Load() != 0 {
		t.Fatal("the write was replayed on the new cluster")
	}
}

// A write the old cluster answers with its new read-only block after the epoch ended
// (it was fenced while the write was in flight) follows the new epoch: the block proves
// it was not applied.
func TestWriteBlockedByJustFencedClusterFollowsNewEpoch(t *testing.T) {
	var r *fakeRouter
	west := newBackend(t, "w1", nil)
	switched := make(chan struct{})
	east := newBackend(t, "e1", func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		if req.Method == http.MethodGet {
			return
		}
		r.set("west", 2, west.url()) // the decision lands, the plan fences east...
		<-switched
		time.Sleep(100 * time.Millisecond) // ...and east refuses the write it was holding
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, readOnlyBody)
	})
	r = newRouter("east", 1, east.url())
	h := startProxy(t, Config{FailoverWait: 50 * time.Millisecond}, r, &fakeProber{})
	h.do(t, "GET", "/", "") // the epoch's pool exists and is past its first failover_wait
	time.Sleep(100 * time.Millisecond)
	go func() { close(switched) }()
	a := h.do(t, "PUT", "/idx/_doc/1", `{"x":1}`)
	if a.status != http.StatusOK || a.cluster != "west" || east.hits.Load() != 2 || west.hits.Load() != 1 {
		t.Fatalf("write answered %d by %q (east %d, west %d hits): %s", a.status, a.cluster, east.hits.Load(), west.hits.Load(), a.body)
	}
}
