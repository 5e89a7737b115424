package pki

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"
)

func TestIssuedCertificatesChainToTheCA(t *testing.T) {
	ca, err := New(t.TempDir(), "ca")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ca.Server("server", "es.test")
	if err != nil {
		t.Fatal(err)
	}
	cli, err := ca.Client("client", "esdr")
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(ca.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		t.Fatal("CA file holds no certificate")
	}
	for _, c := range []struct {
		pair  Pair
		name  string
		usage x509.ExtKeyUsage
	}{
		{srv, "127.0.0.1", x509.ExtKeyUsageServerAuth},
		{srv, "localhost", x509.ExtKeyUsageServerAuth},
		{srv, "es.test", x509.ExtKeyUsageServerAuth},
		{cli, "", x509.ExtKeyUsageClientAuth},
	} {
		pair, err := tls.LoadX509KeyPair(c.pair.CertFile, c.pair.KeyFile)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tls.LoadX509KeyPair(c.pair.BundleFile, c.pair.BundleFile); err != nil {
			t.Fatalf("bundle: %v", err)
		}
		opts := x509.VerifyOptions{Roots: roots, DNSName: c.name, KeyUsages: []x509.ExtKeyUsage{c.usage}}
		if _, err := pair.Leaf.Verify(opts); err != nil {
			t.Errorf("%s for %q: %v", c.pair.CertFile, c.name, err)
		}
	}
}
