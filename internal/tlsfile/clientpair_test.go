package tlsfile

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/esdr/esdr/testbed/pki"
	"github.com/esdr/esdr/testbed/poll"
)

// TestAPeerPresentsARenewedClientCertificate: a running client's cert_file and key_file
// are replaced; its new connections present the new certificate, without a new
// configuration. The server here demands one from the CA.
func TestAPeerPresentsARenewedClientCertificate(t *testing.T) {
	dir := t.TempDir()
	ca, err := pki.New(dir, "ca")
	if err != nil {
		t.Fatal(err)
	}
	old, err := ca.Client("old", "esdr-old")
	if err != nil {
		t.Fatal(err)
	}
	renewed, err := ca.Client("renewed", "esdr-renewed")
	if err != nil {
		t.Fatal(err)
	}
	certFile := writeFile(t, dir, "client.crt", read(t, old.CertFile))
	keyFile := writeFile(t, dir, "client.key", read(t, old.KeyFile))
	cfg, err := Peer{CAFile: ca.CertFile, CertFile: certFile, KeyFile: keyFile}.Config()
	if err != nil {
		t.Fatal(err)
	}
	srv := mtlsServer(t, ca)
	// A new connection for every request: an open one keeps its certificate.
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true}}
	presented := func() string { // the server answers the name of the client's certificate
		resp, err := c.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := presented(); got != "esdr-old" {
		t.Fatalf("before the renewal the server saw %q, want esdr-old", got)
	}
	writeFile(t, dir, "client.crt", read(t, renewed.CertFile))
	writeFile(t, dir, "client.key", read(t, renewed.KeyFile))
	var last string
	err = poll.Until(context.Background(), 30*time.Second, "the renewed certificate presented", func() bool {
		last = presented()
		return last == "esdr-renewed"
	})
	if err != nil {
		t.Fatalf("%v; the server last saw %q", err, last)
	}
}

// TestARenewalHalfWrittenKeepsThePairInUse: the files are looked at once per interval,
// and a certificate whose key has not been written yet is not taken; the complete pair
// is, at the next look. The clock is the test's.
func TestARenewalHalfWrittenKeepsThePairInUse(t *testing.T) {
	ca, dir := newTestCA(t), t.TempDir()
	c1, k1 := ca.issue(t, "one")
	c2, k2 := ca.issue(t, "two")
	certFile, keyFile := writeFile(t, dir, "c.crt", c1), writeFile(t, dir, "c.key", k1)
	certPEM, keyPEM, cert, err := readClientPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	p := newClientPair(loadedKeypair(certFile, keyFile, certPEM, keyPEM, &cert), func() time.Time { return now })
	cn := func() string {
		t.Helper()
		c, err := p.get(&tls.CertificateRequestInfo{Version: tls.VersionTLS13, SignatureSchemes: []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256}})
		if err != nil || len(c.Certificate) == 0 {
			t.Fatalf("get: %v, %d certificates", err, len(c.Certificate))
		}
		return c.Leaf.Subject.CommonName
	}
	writeFile(t, dir, "c.crt", c2) // the key is still k1
	now = now.Add(DefaultPoll)
	if got := cn(); got != "one" {
		t.Fatalf("a certificate without its key: presenting %q, want one", got)
	}
	writeFile(t, dir, "c.key", k2)
	now = now.Add(DefaultPoll / 2)
	if got := cn(); got != "one" {
		t.Fatalf("files looked at before the interval: presenting %q", got)
	}
	now = now.Add(DefaultPoll / 2)
	if got := cn(); got != "two" {
		t.Fatalf("the complete pair: presenting %q, want two", got)
	}
	// A server that accepts only another CA's certificates gets none, as crypto/tls
	// does with Config.Certificates.
	other := &tls.CertificateRequestInfo{Version: tls.VersionTLS13, SignatureSchemes: []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256},
		AcceptableCAs: [][]byte{[]byte("not our CA")}}
	if c, err := p.get(other); err != nil || len(c.Certificate) != 0 {
		t.Fatalf("a server accepting another CA: %d certificates, %v; want none", len(c.Certificate), err)
	}
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
