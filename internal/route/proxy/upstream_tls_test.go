package proxy

import (
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/esdr/esdr/internal/tlsfile"
	"github.com/esdr/esdr/testbed/pki"
)

// TestUpstreamClientCertificate: both upstream clients present the cluster's client
// certificate to a node that demands one, and verify the node under server_name.
func TestUpstreamClientCertificate(t *testing.T) {
	ca, err := pki.New(t.TempDir(), "ca")
	if err != nil {
		t.Fatal(err)
	}
	srvPair, err := ca.Server("node", "es.internal")
	if err != nil {
		t.Fatal(err)
	}
	client, err := ca.Client("esdr", "esdr-proxy")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(srvPair.CertFile, srvPair.KeyFile)
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
