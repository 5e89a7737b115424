package h1

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// dial connects a Conn to srv.
func dial(t *testing.T, srv *httptest.Server) *Conn {
	t.Helper()
	nc, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := NewConn(nc)
	t.Cleanup(func() { c.Close() })
	return c
}

// exchange sends one request and reads its answer whole.
func exchange(t *testing.T, c *Conn, method, target string, body io.Reader, length int64) (*Response, string) {
	t.Helper()
	if err := c.WriteRequest(method, target, "es", []Field{{Name: []byte("X-Test"), Value: []byte("1")}}, body, length); err != nil {
		t.Fatalf("%s %s: write: %v", method, target, err)
	}
	r, b, err := c.ReadResponse(method)
	if err != nil {
		t.Fatalf("%s %s: read: %v", method, target, err)
	}
	got, err := io.ReadAll(b)
	if err != nil {
		t.Fatalf("%s %s: body: %v", method, target, err)
	}
	return r, string(got)
}

// TestOneConnectionCarriesEveryKindOfExchangeInTurn: against net/http's server, one Conn
// sends bodies by length and chunked, reads answers by length, chunked, and none (HEAD,
// 204), and stays reusable between them.
func TestOneConnectionCarriesEveryKindOfExchangeInTurn(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/echo":
			w.Header().Set("X-Seen", r.Header.Get("X-Test")+"|"+r.Host)
			w.Write(body)
		case "/stream": // no length: net/http answers chunked
			w.Write([]byte(strings.Repeat("a", 10)))
			w.(http.Flusher).Flush()
			w.Write([]byte(strings.Repeat("b", 10)))
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c := dial(t, srv)
	r, body := exchange(t, c, "POST", "/echo", strings.NewReader(`{"a":1}`), 7)
	if r.Status != 200 || body != `{"a":1}` || !c.Reusable() {
		t.Fatalf("by length: %d %q reusable %v", r.Status, body, c.Reusable())
	}
	big := strings.Repeat("x", 100<<10)
	if r, body = exchange(t, c, "POST", "/echo", strings.NewReader(big), -1); body != big || !c.Reusable() {
		t.Fatalf("chunked upload: %d, %d bytes back", r.Status, len(body))
	}
	if r, body = exchange(t, c, "GET", "/stream", nil, 0); r.Body != BodyChunked || body != strings.Repeat("a", 10)+strings.Repeat("b", 10) {
		t.Fatalf("chunked answer: %d %q", r.Body, body)
	}
	if r, body = exchange(t, c, "HEAD", "/echo", nil, 0); r.Body != BodyNone || body != "" || !c.Reusable() {
		t.Fatalf("HEAD: %d %q", r.Body, body)
	}
	if r, _ = exchange(t, c, "GET", "/empty", nil, 0); r.Status != 204 || !c.Reusable() || !c.Alive() {
		t.Fatalf("204: %d reusable %v", r.Status, c.Reusable())
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections, want every exchange on one", n)
	}
}

// TestAConnectionTheNodeClosedIsNotAlive: the check before a reuse sees an idle
// connection the node closed, and a live one as live.
func TestAConnectionTheNodeClosedIsNotAlive(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	c := dial(t, srv)
	exchange(t, c, "GET", "/", nil, 0)
	if !c.Alive() {
		t.Fatal("a live idle connection is not alive")
	}
	srv.CloseClientConnections()
	deadline := time.Now().Add(5 * time.Second)
	for c.Alive() {
		if time.Now().After(deadline) {
			t.Fatal("a connection the node closed is still alive after 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestACutAnswerIsNeverWholeNorReusable: a node that announces more than it sends, then
// closes, gives an unexpected EOF, and the connection is not reused.
func TestACutAnswerIsNeverWholeNorReusable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		buf := make([]byte, 4096)
		nc.Read(buf)
		nc.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"))
		nc.Close()
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := NewConn(nc)
	defer c.Close()
	if err := c.WriteRequest("GET", "/", "es", nil, nil, 0); err != nil {
		t.Fatal(err)
	}
	_, b, err := c.ReadResponse("GET")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(b)
	if err != io.ErrUnexpectedEOF || !bytes.Equal(got, []byte("abc")) || c.Reusable() {
		t.Fatalf("%q, %v, reusable %v: want the 3 bytes, an unexpected EOF, not reusable", got, err, c.Reusable())
	}
	if !c.Delivered() {
		t.Fatal("the request was written, yet not delivered")
	}
}
