package esclient

import (
	"context"
	"crypto/tls"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/esdr/esdr/internal/health"
	"github.com/esdr/esdr/internal/tlsfile"
	"github.com/esdr/esdr/testbed/pki"
)

// mtlsNode is a node behind TLS whose certificate is valid for 127.0.0.1 and
// es.internal, demanding a client certificate issued by ca.
func mtlsNode(t *testing.T, ca *pki.CA) *httptest.Server {
	t.Helper()
	pair, err := ca.Server("node", "es.internal")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(pair.CertFile, pair.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := tlsfile.CAPool(ca.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(body(200, os2Health))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func TestClientCertificateIsPresented(t *testing.T) {
	ca, err := pki.New(t.TempDir(), "ca")
	if err != nil {
		t.Fatal(err)
	}
	client, err := ca.Client("esdr", "esdr")
	if err != nil {
		t.Fatal(err)
	}
	srv := mtlsNode(t, ca)
	opts := Options{CAFile: ca.CertFile, CertFile: client.CertFile, KeyFile: client.KeyFile}
	if _, err := newClient(t, []string{srv.URL}, opts).Health(context.Background()); err != nil {
		t.Fatalf("with a client certificate: %v", err)
	}
	opts.ServerName = "es.internal"
	if _, err := newClient(t, []string{srv.URL}, opts).Health(context.Background()); err != nil {
		t.Fatalf("with server_name es.internal: %v", err)
	}
	opts.ServerName = "es.elsewhere"
	_, err = newClient(t, []string{srv.URL}, opts).Health(context.Background())
	if Classify(err) != health.KindBlind || !strings.Contains(err.Error(), "es.elsewhere") {
		t.Errorf("with server_name es.elsewhere: %s %v, want blind naming the name", Classify(err), err)
	}
}

// A node that wants a certificate esdr does not have is a configuration problem: esdr
// is blind, the cluster is not down.
func TestARefusedClientCertificateIsBlind(t *testing.T) {
	dir := t.TempDir()
	ca, err := pki.New(dir, "ca")
	if err != nil {
		t.Fatal(err)
	}
	other, err := pki.New(t.TempDir(), "other")
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := other.Client("stranger", "esdr")
	if err != nil {
		t.Fatal(err)
	}
	srv := mtlsNode(t, ca)
	for name, opts := range map[string]Options{
		"none":           {CAFile: ca.CertFile},
		"another issuer": {CAFile: ca.CertFile, CertFile: stranger.CertFile, KeyFile: stranger.KeyFile},
	} {
		_, err := newClient(t, []string{srv.URL}, opts).Health(context.Background())
		if Classify(err) != health.KindBlind || !strings.Contains(err.Error(), "refused esdr's client certificate") {
			t.Errorf("%s: %s %v, want blind: refused esdr's client certificate", name, Classify(err), err)
		}
	}
	if _, err := New([]string{srv.URL}, Options{CertFile: stranger.CertFile}); err == nil || !strings.Contains(err.Error(), "cert_file without key_file") {
		t.Errorf("a certificate without its key: %v", err)
	}
}
