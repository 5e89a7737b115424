package proxy

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestBodyPace: the rate rule counts only the time spent waiting for the client, and
// allows body_timeout of grace before it applies.
func TestBodyPace(t *testing.T) {
	type read struct {
		wait, pause time.Duration // in the read; after it, not reading (the node is slow)
		n           int
	}
	for _, tc := range []struct {
		name  string
		reads []read
		slow  bool
	}{
		{"a byte every 5s is cut once the grace is spent", repeat(read{wait: 5 * time.Second, n: 1}, 13), true},
		{"a byte every 5s is within the grace at first", repeat(read{wait: 5 * time.Second, n: 1}, 11), false},
		{"a slow link at 8 KiB/s for an hour is never cut", repeat(read{wait: time.Second, n: 8 << 10}, 3600), false},
		{"a fast start then a stall under body_timeout is not cut by the rate", append(repeat(read{wait: time.Millisecond, n: 64 << 10}, 100),
			read{wait: 59 * time.Second, n: 1}), false},
		{"a node slow to take the body does not count against the client", repeat(read{wait: time.Millisecond, n: 1, pause: time.Minute}, 100), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newBodyPace(Config{BodyTimeout: time.Minute, MinBodyRate: 1024})
			now := time.Unix(1000, 0)
			for _, r := range tc.reads {
				p.account(now, now.Add(r.wait), r.n)
				now = now.Add(r.wait + r.pause)
			}
			if p.slow != tc.slow {
				t.Errorf("slow = %v after %s waited for %d bytes, want %v", p.slow, p.waited, p.got, tc.slow)
			}
			if d := p.deadline(now); p.slow != d.Before(now) {
				t.Errorf("deadline %s for a read at %s (slow %v)", d, now, p.slow)
			}
		})
	}
	off := newBodyPace(Config{BodyTimeout: time.Minute, MinBodyRate: -1})
	off.account(time.Unix(0, 0), time.Unix(3600, 0), 1)
	if off.slow {
		t.Error("min_body_rate off: an hour for a byte is cut by the rate rule")
	}
}

func repeat[T any](v T, n int) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// partialBackend is a node that counts the bodies it got whole and those cut short.
func partialBackend(t *testing.T) (b *backend, whole, partial *atomic.Int32) {
	whole, partial = new(atomic.Int32), new(atomic.Int32)
	b = newBackend(t, "a1", func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			partial.Add(1)
			return
		}
		whole.Add(1)
		_, _ = io.WriteString(w, `{"errors":false}`)
	})
	return b, whole, partial
}

// sendHead opens a connection and sends a _bulk head announcing size bytes and the
// first bytes of its body.
func sendHead(t *testing.T, h *harness, size int, first string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, br := dial(t, h)
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	head := "POST /_bulk HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-ndjson\r\nContent-Length: " + strconv.Itoa(size) + "\r\n\r\n"
	if _, err := io.WriteString(c, head+first); err != nil {
		t.Fatal(err)
	}
	return c, br
}

// want408 reads the answer to a request whose body stalled: 408 esdr_client_timeout,
// then the connection closed.
func want408(t *testing.T, br *bufio.Reader) {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var e struct{ Error struct{ Type string } }
	_ = json.Unmarshal(body, &e)
	if resp.StatusCode != http.StatusRequestTimeout || e.Error.Type != typeClientTimeout || !resp.Close {
		t.Fatalf("answer %d (Connection: close %v) %s, want 408 %s and close", resp.StatusCode, resp.Close, body, typeClientTimeout)
	}
	if _, err := br.ReadByte(); err == nil {
		t.Fatal("the connection stayed open after the 408")
	}
}

// waitAborted waits for every request the node got to have ended cut short, with its
// connection gone (the h1 upstream client may have sent nothing yet: its head waits in
// its buffer for the body), then sends a whole body: the node must have that one alone.
func waitAborted(t *testing.T, h *harness, b *backend, whole, partial *atomic.Int32) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for (partial.Load() != b.hits.Load() || b.conns.Load() > 0) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if partial.Load() != b.hits.Load() || whole.Load() != 0 || b.conns.Load() != 0 {
		t.Fatalf("the node saw %d requests, %d cut short, %d whole, %d connections open; want each cut, none whole, none open",
			b.hits.Load(), partial.Load(), whole.Load(), b.conns.Load())
	}
	if a := h.do(t, http.MethodPost, "/_bulk", "{}\n"); a.status != 200 || whole.Load() != 1 {
		t.Fatalf("the next request: %d %s, node got %d bodies whole, want 200 and 1", a.status, a.body, whole.Load())
	}
}

// TestAStalledBodyIsCut: a client that stops halfway through its body is answered 408
// after body_timeout; the node's request is aborted, never completed.
func TestAStalledBodyIsCut(t *testing.T) {
	b, whole, partial := partialBackend(t)
	h := startProxy(t, Config{BodyTimeout: 300 * time.Millisecond}, newRouter("east", 1, b.url()), &fakeProber{})
	_, br := sendHead(t, h, 1000, strings.Repeat("x", 100))
	want408(t, br)
	waitAborted(t, h, b, whole, partial)
	if n := testutil.ToFloat64(h.px.m.timeouts.WithLabelValues(timeoutBody)); n != 1 {
		t.Errorf("esdr_proxy_client_timeouts_total{what=body} = %v, want 1", n)
	}
}

// TestAStalledBodyReadByAWrapIsCut: a Wrap that reads the body itself (mirror mode
// does) sees the stall as a read past its deadline (os.ErrDeadlineExceeded) under either
// server, answers nothing, and the server answers 408.
func TestAStalledBodyReadByAWrapIsCut(t *testing.T) {
	b, _, _ := partialBackend(t)
	wrap := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, err := io.ReadAll(r.Body); err != nil {
				if !errors.Is(err, os.ErrDeadlineExceeded) {
					http.Error(w, "not a deadline: "+err.Error(), http.StatusBadRequest)
				}
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	h := startProxy(t, Config{BodyTimeout: 300 * time.Millisecond, Wrap: wrap}, newRouter("east", 1, b.url()), &fakeProber{})
	_, br := sendHead(t, h, 1000, strings.Repeat("x", 100))
	want408(t, br)
}

// TestATricklingBodyIsCut: a client that sends a byte every 50 ms is never idle for
// body_timeout, but falls below min_body_rate once the grace is spent.
func TestATricklingBodyIsCut(t *testing.T) {
	b, whole, partial := partialBackend(t)
	h := startProxy(t, Config{BodyTimeout: 300 * time.Millisecond, MinBodyRate: 100}, newRouter("east", 1, b.url()), &fakeProber{})
	c, br := sendHead(t, h, 1000, "x")
	go func() {
		for {
			time.Sleep(50 * time.Millisecond)
			if _, err := c.Write([]byte("x")); err != nil {
				return // cut, or the test ended
			}
		}
	}()
	want408(t, br)
	waitAborted(t, h, b, whole, partial)
}

// TestASlowSteadyUploadIsNotCut: pieces of a body that arrive more often than
// body_timeout and above min_body_rate go through whole, and the connection is kept.
// The pauses are a tenth of body_timeout, so that a loaded machine's late timers do not
// make the client look stalled.
func TestASlowSteadyUploadIsNotCut(t *testing.T) {
	b, whole, _ := partialBackend(t)
	h := startProxy(t, Config{BodyTimeout: 2 * time.Second, MinBodyRate: 1024}, newRouter("east", 1, b.url()), &fakeProber{})
	const piece, pieces = 4 << 10, 6
	c, br := sendHead(t, h, piece*pieces, "")
	for range pieces {
		time.Sleep(150 * time.Millisecond) // the client's slow link, not a wait for evidence
		if _, err := c.Write([]byte(strings.Repeat("x", piece))); err != nil {
			t.Fatalf("the proxy cut a steady upload: %v", err)
		}
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || whole.Load() != 1 || resp.Close {
		t.Fatalf("answer %d (close %v), node got %d bodies whole; want 200, keep-alive, 1", resp.StatusCode, resp.Close, whole.Load())
	}
	if resp := get(t, c, br); resp.StatusCode != 200 {
		t.Fatalf("the next request on the connection: %d", resp.StatusCode)
	}
}

// TestAClientThatStopsReadingIsCut: a client that asks for a large answer and reads
// none of it has its connection closed once a write waited write_timeout.
func TestAClientThatStopsReadingIsCut(t *testing.T) {
	b := newBackend(t, "a1", func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 64<<10)
		for range 1024 { // 64 MB: more than any socket buffer holds
			if _, err := w.Write(buf); err != nil {
				return
			}
		}
	})
	h := startProxy(t, Config{WriteTimeout: 300 * time.Millisecond}, newRouter("east", 1, b.url()), &fakeProber{})
	c, _ := dial(t, h)
	if _, err := io.WriteString(c, "GET /idx/_search HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	timeouts := h.px.m.timeouts.WithLabelValues(timeoutAnswer)
	deadline := time.Now().Add(30 * time.Second)
	for (testutil.ToFloat64(timeouts) == 0 || testutil.ToFloat64(h.px.m.open) != 0) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n, open := testutil.ToFloat64(timeouts), testutil.ToFloat64(h.px.m.open); n != 1 || open != 0 {
		t.Fatalf("esdr_proxy_client_timeouts_total{what=answer} = %v, open connections %v; want 1 and 0", n, open)
	}
}
