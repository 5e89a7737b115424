package proxy

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestTheDerivedConnectionCapLeavesEsdrItsDescriptors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		nofile uint64
		want   int
	}{
		{"the systemd unit's 65536 leaves 256 and halves the rest", 65536, 32640},
		{"a common 1024 allows 384 clients", 1024, 384},
		{"a tiny limit still serves a few", 100, minDerivedCap},
		{"an unreadable limit takes a fixed cap", 0, unknownLimitCap},
		{"an unlimited one is bounded", ^uint64(0), 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := derivedMaxConnections(tc.nofile); got != tc.want {
				t.Errorf("derivedMaxConnections(%d) = %d, want %d", tc.nofile, got, tc.want)
			}
		})
	}
}

// get sends one GET on an open connection and reads the answer's status.
func get(t *testing.T, c net.Conn, rd *bufio.Reader) *http.Response {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("GET /idx/_search HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatalf("write: %v", err)
	}
	resp, err := http.ReadResponse(rd, nil)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	if _, err := io.ReadAll(resp.Body); err != nil {
		t.Fatalf("read answer's body: %v", err)
	}
	resp.Body.Close()
	return resp
}

func dial(t *testing.T, h *harness) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", h.px.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, bufio.NewReader(c)
}

func TestAConnectionPastTheCapIsAnswered503AndClosed(t *testing.T) {
	b := newBackend(t, "a1", nil)
	h := startProxy(t, Config{MaxConnections: 2}, newRouter("east", 1, b.url()), &fakeProber{})
	c1, r1 := dial(t, h)
	c2, r2 := dial(t, h)
	for i, c := range []net.Conn{c1, c2} {
		if resp := get(t, c, []*bufio.Reader{r1, r2}[i]); resp.StatusCode != 200 {
			t.Fatalf("connection %d under the cap: %d, want 200", i+1, resp.StatusCode)
		}
	}

	c3, r3 := dial(t, h)
	resp := get(t, c3, r3)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "1" || !resp.Close {
		t.Fatalf("past the cap: %d Retry-After %q close %v, want 503, Retry-After 1, Connection: close",
			resp.StatusCode, resp.Header.Get("Retry-After"), resp.Close)
	}
	if _, err := r3.ReadByte(); err == nil {
		t.Error("the connection past the cap stayed open")
	}
	if n := testutil.ToFloat64(h.px.m.refused); n != 1 {
		t.Errorf("esdr_proxy_connections_refused_total = %v, want 1", n)
	}
	// The kept-alive connections under the cap still serve.
	if resp := get(t, c2, r2); resp.StatusCode != 200 {
		t.Errorf("a connection under the cap after the refusal: %d, want 200", resp.StatusCode)
	}

	// A closed connection gives its place back: once the proxy has seen c1 go, a new
	// connection is served. Each attempt is answered, so the wait is on evidence.
	c1.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, rd := dial(t, h)
		resp := get(t, c, rd)
		c.Close()
		if resp.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a place freed by a closed connection was never given back: still %d", resp.StatusCode)
		}
	}
}

// TestATLSConnectionPastTheCapIsAnswered503: on an HTTPS listener the refusal is made
// over TLS, so a client past the cap reads a 503 with Retry-After, not a handshake error.
func TestATLSConnectionPastTheCapIsAnswered503(t *testing.T) {
	roots, cert := proxyCert(t)
	b := newBackend(t, "a1", nil)
	h := startProxy(t, Config{MaxConnections: 1, TLS: &tls.Config{Certificates: []tls.Certificate{cert}}},
		newRouter("east", 1, b.url()), &fakeProber{})
	dialTLS := func() (*tls.Conn, *bufio.Reader) {
		c, err := tls.Dial("tcp", h.px.Addr().String(), &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"})
		if err != nil {
			t.Fatalf("TLS dial: %v", err)
		}
		t.Cleanup(func() { c.Close() })
		return c, bufio.NewReader(c)
	}
	c1, r1 := dialTLS()
	if resp := get(t, c1, r1); resp.StatusCode != 200 {
		t.Fatalf("the connection under the cap: %d, want 200", resp.StatusCode)
	}
	c2, r2 := dialTLS()
	resp := get(t, c2, r2)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "1" || !resp.Close {
		t.Fatalf("past the cap over TLS: %d Retry-After %q close %v, want 503, Retry-After 1, Connection: close",
			resp.StatusCode, resp.Header.Get("Retry-After"), resp.Close)
	}
	if n := testutil.ToFloat64(h.px.m.refused); n != 1 {
		t.Errorf("esdr_proxy_connections_refused_total = %v, want 1", n)
	}
}
