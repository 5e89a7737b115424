package proxy

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// TestLargeChunkedUploadStreams: a _bulk of unknown length (chunked from the client)
// streams through without the proxy holding it: the client never runs more than a window
// ahead of what the node has read.
func TestLargeChunkedUploadStreams(t *testing.T) {
	const size = 48 << 20
	var received atomic.Int64
	b := newBackend(t, "a1", func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 64<<10)
		for {
			n, err := r.Body.Read(buf)
			received.Add(int64(n))
			if err != nil {
				break
			}
		}
		_, _ = io.WriteString(w, `{"errors":false}`)
	})
	h := startProxy(t, Config{}, newRouter("east", 1, b.url()), &fakeProber{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", h.url+"/_bulk", &lockstepBody{left: size, received: &received, ctx: ctx})
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = -1 // sent chunked
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatalf("a chunked upload did not stream through: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || received.Load() != size {
		t.Fatalf("status %d, node received %d of %d bytes", resp.StatusCode, received.Load(), size)
	}
}

// startUpload opens a raw connection to the proxy and sends a POST head announcing
// size bytes, then send bytes of body from another goroutine; the connection is
// closed when the test ends.
func startUpload(t *testing.T, h *harness, size, send int) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", h.px.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	head := "POST /_bulk HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-ndjson\r\nContent-Length: " + strconv.Itoa(size) + "\r\n\r\n"
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	go func() {
		buf := make([]byte, 64<<10)
		for sent := 0; sent < send; sent += len(buf) {
			if _, err := c.Write(buf[:min(len(buf), send-sent)]); err != nil {
				return
			}
		}
	}()
	return c, bufio.NewReader(c)
}

// TestAnEarlyAnswerDuringAnUploadDoesNotDeadlock: a node that answers 413 without
// reading a 64 MB upload (Elasticsearch's http.max_content_length) gets its answer to the
// client; nothing waits for the rest of the body, and the write that broke off when the
// node stopped reading is not mistaken for a lost answer (502).
func TestAnEarlyAnswerDuringAnUploadDoesNotDeadlock(t *testing.T) {
	const size = 64 << 20
	b := newBackend(t, "a1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		_, _ = io.WriteString(w, `{"error":"content too long"}`)
	})
	h := startProxy(t, Config{}, newRouter("east", 1, b.url()), &fakeProber{})
	_, br := startUpload(t, h, size, size)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer to an upload the node refused early: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d %s, want the node's 413", resp.StatusCode, body)
	}
	t.Logf("answer %d, Connection: close %v: %s", resp.StatusCode, resp.Close, body)
}

// TestAClientAbortingMidBodyLeavesNoUpstreamConnectionBehind: a client that closes
// halfway through its body ends the node's request too: the connection that carried
// half a request is closed, never pooled for the next one.
func TestAClientAbortingMidBodyLeavesNoUpstreamConnectionBehind(t *testing.T) {
	var partial atomic.Int32
	b := newBackend(t, "a1", func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			partial.Add(1)
			return
		}
		_, _ = io.WriteString(w, `{"errors":false}`)
	})
	h := startProxy(t, Config{}, newRouter("east", 1, b.url()), &fakeProber{})
	c, _ := startUpload(t, h, 1<<20, 256<<10)
	deadline := time.Now().Add(20 * time.Second)
	for b.hits.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // let the first 256 KiB reach the node
	c.Close()
	for (b.conns.Load() > 0 || partial.Load() == 0) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := b.conns.Load(); n != 0 || partial.Load() != 1 {
		t.Fatalf("after the client aborted: %d connections to the node still open, %d partial bodies seen (want 0 and 1)", n, partial.Load())
	}
	if a := h.do(t, http.MethodPost, "/_bulk", "{}\n"); a.status != 200 {
		t.Fatalf("the next request: %d %s", a.status, a.body)
	}
}

// TestAnEarlyAnswerFromANodeThatStopsReadingArrives: a node that answers 401 to an
// upload's head and then neither reads nor closes gets its answer to the client, instead
// of the proxy pushing the body into a connection nobody reads until a timeout.
func TestAnEarlyAnswerFromANodeThatStopsReadingArrives(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		t.Cleanup(func() { c.Close() }) // held open, unread, until the test ends
		if readHead(bufio.NewReader(c)) == nil {
			const body = `{"error":"no credentials"}`
			_, _ = io.WriteString(c, "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: "+
				strconv.Itoa(len(body))+"\r\n\r\n"+body)
		}
	}()
	h := startProxy(t, Config{UpstreamTimeout: time.Minute}, newRouter("east", 1, "http://"+ln.Addr().String()), &fakeProber{})
	_, br := startUpload(t, h, 64<<20, 64<<20)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer to an upload the node refused early: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d %s, want the node's 401", resp.StatusCode, body)
	}
}
