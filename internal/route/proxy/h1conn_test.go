package proxy

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"
)

// bothServers runs f once per server.
func bothServers(t *testing.T, f func(t *testing.T, server string)) {
	for _, s := range []string{ServerNetHTTP, ServerH1} {
		t.Run(s, func(t *testing.T) { f(t, s) })
	}
}

func dialProxy(t *testing.T, h *harness) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", h.px.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, bufio.NewReader(c)
}

func readAnswer(t *testing.T, br *bufio.Reader, method string) *http.Response {
	t.Helper()
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("reading an answer: %v", err)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Fatalf("reading an answer's body: %v", err)
	}
	resp.Body.Close()
	return resp
}

// closed reports whether the proxy closed the connection (no further byte).
func closed(br *bufio.Reader) bool {
	_, err := br.ReadByte()
	return err != nil
}

// TestPipelinedRequestsAreAnsweredInOrderAndCloseIsHonored: three requests written at
// once get three answers in order; the last asked Connection: close, so the connection
// ends after it.
func TestPipelinedRequestsAreAnsweredInOrderAndCloseIsHonored(t *testing.T) {
	bothServers(t, func(t *testing.T, server string) {
		b := newBackend(t, "a1", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, r.URL.Path)
		})
		h := startProxy(t, Config{Server: server}, newRouter("east", 1, b.url()), &fakeProber{})
		c, br := dialProxy(t, h)
		_, _ = io.WriteString(c, "GET /one HTTP/1.1\r\nHost: a\r\n\r\n"+
			"POST /two/_doc HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}"+
			"GET /three HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
		for _, want := range []string{"/one", "/two/_doc", "/three"} {
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("answer for %s: %v", want, err)
			}
			got, _ := io.ReadAll(resp.Body)
			if string(got) != want {
				t.Fatalf("answer %q, want %q (out of order?)", got, want)
			}
		}
		if !closed(br) {
			t.Fatal("the connection stayed open after Connection: close")
		}
	})
}

// TestHTTP10KeepsAliveOnlyWhenAsked: an HTTP/1.0 request closes its connection unless it
// asked keep-alive.
func TestHTTP10KeepsAliveOnlyWhenAsked(t *testing.T) {
	bothServers(t, func(t *testing.T, server string) {
		b := newBackend(t, "a1", nil)
		h := startProxy(t, Config{Server: server}, newRouter("east", 1, b.url()), &fakeProber{})
		c, br := dialProxy(t, h)
		_, _ = io.WriteString(c, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
		if resp := readAnswer(t, br, "GET"); resp.StatusCode != 200 || resp.Close {
			t.Fatalf("keep-alive asked: %d, close %v", resp.StatusCode, resp.Close)
		}
		_, _ = io.WriteString(c, "GET / HTTP/1.0\r\n\r\n")
		if resp := readAnswer(t, br, "GET"); resp.StatusCode != 200 {
			t.Fatalf("second request: %d", resp.StatusCode)
		}
		if !closed(br) {
			t.Fatal("an HTTP/1.0 request without keep-alive left the connection open")
		}
	})
}

// TestASlowHeadIsCutAtTheReadHeaderTimeout: a client that never finishes its head is
// disconnected.
func TestASlowHeadIsCutAtTheReadHeaderTimeout(t *testing.T) {
	bothServers(t, func(t *testing.T, server string) {
		b := newBackend(t, "a1", nil)
		h := startProxy(t, Config{Server: server, ReadHeaderTimeout: 200 * time.Millisecond}, newRouter("east", 1, b.url()), &fakeProber{})
		c, br := dialProxy(t, h)
		_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: a\r\n")
		_, _ = br.ReadString(0) // until the proxy closes (or the test's 10 s deadline)
		if b.hits.Load() != 0 {
			t.Fatal("an unfinished head reached the node")
		}
	})
}

// TestShutdownFinishesRequestsInFlightAndClosesIdleConnections: on stop, an idle
// keep-alive connection is closed at once, a request in flight still gets its answer.
func TestShutdownFinishesRequestsInFlightAndClosesIdleConnections(t *testing.T) {
	bothServers(t, func(t *testing.T, server string) {
		release := make(chan struct{})
		b := newBackend(t, "a1", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/slow" {
				<-release
			}
			_, _ = io.WriteString(w, "done")
		})
		px, err := New(Config{Listen: "127.0.0.1:0", Server: server, UpstreamClient: *upstreamFlag},
			newRouter("east", 1, b.url()), &fakeProber{}, nil, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		if err := px.Listen(); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- px.Serve(ctx) }()
		h := &harness{px: px}
		idle, idleBr := dialProxy(t, h)
		_, _ = io.WriteString(idle, "GET /fast HTTP/1.1\r\nHost: a\r\n\r\n")
		readAnswer(t, idleBr, "GET")
		busy, busyBr := dialProxy(t, h)
		_, _ = io.WriteString(busy, "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
		deadline := time.Now().Add(10 * time.Second)
		for b.hits.Load() < 2 {
			if time.Now().After(deadline) {
				t.Fatalf("the node saw %d requests, want 2", b.hits.Load())
			}
			time.Sleep(time.Millisecond)
		}
		cancel()
		if !closed(idleBr) {
			t.Fatal("the idle connection was not closed on stop")
		}
		close(release)
		if resp := readAnswer(t, busyBr, "GET"); resp.StatusCode != 200 {
			t.Fatalf("the request in flight got %d", resp.StatusCode)
		}
		if err := <-served; err != nil {
			t.Fatalf("Serve: %v", err)
		}
	})
}
