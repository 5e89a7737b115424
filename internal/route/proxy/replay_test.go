package proxy

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// TestAWriteReachesANodeAtMostOnceEvenWithAnIdempotencyKey: net/http's Transport resends
// a request it thinks replayable (a rewindable body, or none, and an Idempotency-Key
// header) when a reused connection closes before the answer — after the node may have
// applied it. The node here reads each write whole and then hangs up without answering,
// on a connection a read has just used; the proxy must answer the client without sending
// the write again.
func TestAWriteReachesANodeAtMostOnceEvenWithAnIdempotencyKey(t *testing.T) {
	var writes atomic.Int32
	b := newBackend(t, "primary", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			_, _ = w.Write([]byte(`{}`))
			return
		}
		writes.Add(1)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close() // applied, then the connection dropped: the outcome is unknown
		}
	})
	h := startProxy(t, Config{}, newRouter("primary", 1, b.url()), &fakeProber{})
	for _, tc := range []struct{ method, path, body, header string }{
		{http.MethodDelete, "/idx/_doc/1", "", "Idempotency-Key"},
		{http.MethodPost, "/idx/_doc/2", `{"n":2}`, "Idempotency-Key"},
		{http.MethodPut, "/idx/_doc/3", `{"n":3}`, "X-Idempotency-Key"},
	} {
		writes.Store(0)
		if a := h.do(t, http.MethodGet, "/", ""); a.status != 200 {
			t.Fatalf("warm-up read: %d %s", a.status, a.body)
		}
		req, err := http.NewRequest(tc.method, h.url+tc.path, strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set(tc.header, "k-"+tc.path)
		resp, err := h.client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				t.Errorf("%s %s: %d, want an error status: the node never answered", tc.method, tc.path, resp.StatusCode)
			}
		}
		if n := writes.Load(); n != 1 {
			t.Errorf("%s %s with %s: the node received it %d times, want exactly once", tc.method, tc.path, tc.header, n)
		}
	}
}
