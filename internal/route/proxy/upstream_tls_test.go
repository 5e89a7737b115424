package proxy

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/tlsfile"
	"github.com/esdr/esdr/testbed/pki"
	"github.com/esdr/esdr/testbed/poll"
)

// TestUpstreamClientCertificate: both upstream clients present the cluster's client
// certificate to a node that demands one, and verify the node under server_name.
func TestUpstreamClientCertificate(t *testing.T) {
	ca, cert := nodeCert(t)
	client, err := ca.Client("esdr", "esdr-proxy")
	if err != nil {
		t.Fatal(err)
	}
	pool, err := tlsfile.CAPool(ca.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	node := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"client":"` + r.TLS.PeerCertificates[0].Subject.CommonName + `","sni":"` + r.TLS.ServerName + `"}`))
	}))
	node.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake below
	node.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}
	node.StartTLS()
	t.Cleanup(node.Close)

	for _, upstream := range []string{UpstreamNetHTTP, UpstreamH1} {
		t.Run(upstream, func(t *testing.T) {
			with := Upstream{CAFile: ca.CertFile, CertFile: client.CertFile, KeyFile: client.KeyFile, ServerName: "es.internal"}
			h := startProxy(t, Config{UpstreamClient: upstream, Clusters: map[string]Upstream{"east": with}},
				newRouter("east", 1, node.URL), &fakeProber{})
			if a := h.do(t, "GET", "/", ""); a.status != 200 || a.body != `{"client":"esdr-proxy","sni":"es.internal"}` {
				t.Fatalf("with a client certificate: %d %s", a.status, a.body)
			}
			without := Upstream{CAFile: ca.CertFile, ServerName: "es.internal"}
			h = startProxy(t, Config{UpstreamClient: upstream, FailoverWait: 1, Clusters: map[string]Upstream{"east": without}},
				newRouter("east", 1, node.URL), &fakeProber{})
			if a := h.do(t, "GET", "/", ""); a.status == 200 {
				t.Fatalf("without a client certificate the node answered: %s", a.body)
			}
		})
	}
}

// TestOverTLSTheOwnClientDialsAgainWhenTheNodeClosedAnIdleConnection: a TLS node that
// drops its idle connections (close_notify, then FIN) costs the h1 client a dial, never
// a write answered outcome-unknown: the pooled connection's socket is peeked under TLS
// too.
func TestOverTLSTheOwnClientDialsAgainWhenTheNodeClosedAnIdleConnection(t *testing.T) {
	ca, cert := nodeCert(t)
	var hits, open atomic.Int32
	node := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
	}))
	node.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			open.Add(1)
		case http.StateClosed:
			open.Add(-1)
		}
	}
	node.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	node.StartTLS()
	t.Cleanup(node.Close)
	with := Upstream{CAFile: ca.CertFile, ServerName: "es.internal"}
	h := startProxy(t, Config{UpstreamClient: UpstreamH1, Clusters: map[string]Upstream{"east": with}},
		newRouter("east", 1, node.URL), &fakeProber{})
	for i := range 5 {
		if a := h.do(t, http.MethodPost, "/idx/_doc", `{"n":1}`); a.status != http.StatusCreated {
			t.Fatalf("write %d: %d %s", i, a.status, a.body)
		}
		node.CloseClientConnections() // close_notify and FIN on every connection, the idle one included
		if err := poll.Until(context.Background(), 5*time.Second, "the node's connections closed", func() bool { return open.Load() == 0 }); err != nil {
			t.Fatal(err)
		}
	}
	if n := hits.Load(); n != 5 {
		t.Fatalf("the node saw %d requests, want 5: each write once, none lost to a stale connection", n)
	}
}

// nodeCert makes a CA and a node certificate for es.internal signed by it.
func nodeCert(t *testing.T) (*pki.CA, tls.Certificate) {
	t.Helper()
	ca, err := pki.New(t.TempDir(), "ca")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.Server("node", "es.internal")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(pair.CertFile, pair.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	return ca, cert
}
