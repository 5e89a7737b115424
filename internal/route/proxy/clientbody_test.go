package proxy

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/tlsfile"
	"github.com/esdr/esdr/testbed/pki"
)

// TestAMalformedChunkedBodyIsTheClientsFaultNotTheNodes: a client whose chunked body
// breaks its framing halfway gets a 400, the node's half request is cut (never
// applied), and the node is not counted as failed: no probe, the next request served.
func TestAMalformedChunkedBodyIsTheClientsFaultNotTheNodes(t *testing.T) {
	got, partial := make(chan struct{}, 1), make(chan error, 1)
	b := newBackend(t, "a1", func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadFull(r.Body, make([]byte, 64<<10)); err == nil {
			got <- struct{}{}
		}
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			partial <- err
			return
		}
		_, _ = io.WriteString(w, `{"errors":false}`)
	})
	pr := &fakeProber{}
	h := startProxy(t, Config{}, newRouter("east", 1, b.url()), pr)
	c, err := net.Dial("tcp", h.px.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	// The first chunk reaches the node; the second's size line is not hex.
	first := strings.Repeat("x", 64<<10)
	if _, err := io.WriteString(c, "POST /_bulk HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n"+
		"10000\r\n"+first+"\r\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-got:
	case err := <-partial:
		t.Fatalf("the node's request ended before the bad chunk was sent: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("the first chunk did not reach the node")
	}
	if _, err := io.WriteString(c, "zz\r\nnot a chunk\r\n0\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to a malformed chunked body: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d %s, want 400", resp.StatusCode, body)
	}
	select {
	case <-partial: // the node saw its request cut short
	case <-time.After(20 * time.Second):
		t.Fatal("the node's request was not cut after the client's bad chunk")
	}
	if a := h.do(t, http.MethodGet, "/", ""); a.status != 200 {
		t.Fatalf("the next request: %d %s", a.status, a.body)
	}
	if n := pr.calls.Load(); n != 0 {
		t.Fatalf("the client's bad body was blamed on the node: %d probe bursts asked", n)
	}
}

// TestAClientThatLeavesEndsItsRequestAtTheNode: a client that closes its connection
// while its search waits for a slow node ends the node's request too (its connection
// closed, which Elasticsearch takes as the search's cancellation), long before the
// upstream timeout — alone on its connection, after quick requests on it (whose watch
// timer is still pending), with another request pipelined behind the search (bytes
// waiting that a peek sees before the close), and over TLS (whose close_notify record
// comes before the close). The read-header timeout is set no longer than the watch's
// delay, so the head's deadline has passed when the watch begins (a watch that waited
// under it ended at once and noticed nothing).
func TestAClientThatLeavesEndsItsRequestAtTheNode(t *testing.T) {
	for _, tc := range []struct {
		name      string
		quick     int
		pipelined bool
		tls       bool
	}{
		{name: "alone"},
		{name: "after quick requests on its connection", quick: 3},
		{name: "with a request pipelined behind it", pipelined: true},
		{name: "over TLS", tls: true},
		{name: "over TLS after quick requests", quick: 2, tls: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{UpstreamTimeout: 2 * time.Minute, ReadHeaderTimeout: watchAfter, Server: *serverFlag}
			if tc.pipelined && cfg.Server == "net/http" {
				t.Skip("net/http's background read stops at the pipelined request's first byte")
			}
			arrived, ended := make(chan struct{}, 1), make(chan struct{}, 1)
			b := newBackend(t, "a1", func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/quick" {
					return
				}
				arrived <- struct{}{}
				select {
				case <-r.Context().Done():
					ended <- struct{}{}
				case <-time.After(time.Minute):
				}
			})
			roots := serveTLS(t, &cfg, tc.tls)
			h := startProxy(t, cfg, newRouter("east", 1, b.url()), &fakeProber{})
			c := dialClient(t, h, roots)
			br := bufio.NewReader(c)
			for range tc.quick {
				if _, err := io.WriteString(c, "GET /quick HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil {
					t.Fatal(err)
				}
				if a := readAnswer(t, br, http.MethodGet); a.StatusCode != 200 {
					t.Fatalf("a quick request: %d", a.StatusCode)
				}
			}
			search := "GET /idx/_search HTTP/1.1\r\nHost: a\r\n\r\n"
			if tc.pipelined {
				search += "GET /quick HTTP/1.1\r\nHost: a\r\n\r\n"
			}
			if _, err := io.WriteString(c, search); err != nil {
				t.Fatal(err)
			}
			select {
			case <-arrived:
			case <-time.After(20 * time.Second):
				t.Fatal("the search did not reach the node")
			}
			c.Close()
			select {
			case <-ended:
			case <-time.After(20 * time.Second):
				t.Fatal("the node's request ran on after its client left")
			}
		})
	}
}

// serveTLS gives cfg a certificate when on and returns the roots that trust it (nil when
// off).
func serveTLS(t *testing.T, cfg *Config, on bool) *x509.CertPool {
	t.Helper()
	if !on {
		return nil
	}
	roots, cert := proxyCert(t)
	cfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	return roots
}

// dialClient connects to h over TLS trusting roots, or over plain TCP when roots is nil;
// the connection is closed when the test ends.
func dialClient(t *testing.T, h *harness, roots *x509.CertPool) net.Conn {
	t.Helper()
	if roots == nil {
		c, _ := dialProxy(t, h)
		return c
	}
	c, err := tls.Dial("tcp", h.px.Addr().String(), &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

// proxyCert makes a CA and a certificate for the proxy at 127.0.0.1 signed by it.
func proxyCert(t *testing.T) (*x509.CertPool, tls.Certificate) {
	t.Helper()
	ca, err := pki.New(t.TempDir(), "ca")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.Server("proxy", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(pair.CertFile, pair.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	roots, err := tlsfile.CAPool(ca.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	return roots, cert
}

// TestAWatchedRequestLeavesItsConnectionServing: a request answered while the proxy
// watches its client is answered, and the next request on its connection too —
// the watch's end (a read deadline in the past) is replaced by the next read's own —
// over plain TCP and over TLS.
func TestAWatchedRequestLeavesItsConnectionServing(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "TLS"}[useTLS], func(t *testing.T) {
			cfg := Config{UpstreamTimeout: time.Minute, Server: *serverFlag}
			watched := make(chan struct{}, 1)
			if cfg.withDefaults().Server == ServerH1 {
				watching = func() {
					select {
					case watched <- struct{}{}:
					default: // a signal not yet taken is enough
					}
				}
				t.Cleanup(func() { watching = nil })
			} else {
				close(watched) // net/http's server watches with a read of its own
			}
			b := newBackend(t, "a1", func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/slow" {
					return
				}
				select { // answer only once the proxy watches the client
				case <-watched:
				case <-time.After(10 * time.Second):
					t.Error("the watch did not start")
				}
			})
			roots := serveTLS(t, &cfg, useTLS)
			h := startProxy(t, cfg, newRouter("east", 1, b.url()), &fakeProber{})
			c := dialClient(t, h, roots)
			br := bufio.NewReader(c)
			for _, path := range []string{"/slow", "/quick", "/slow", "/quick"} {
				if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil {
					t.Fatal(err)
				}
				if a := readAnswer(t, br, http.MethodGet); a.StatusCode != 200 {
					t.Fatalf("%s: %d", path, a.StatusCode)
				}
			}
		})
	}
}
