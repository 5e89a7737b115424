package tlsfile

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esdr/esdr/testbed/pki"
)

// mtlsServer is an HTTPS server whose certificate is valid for 127.0.0.1 and es.test and
// which demands a client certificate from ca.
func mtlsServer(t *testing.T, ca *pki.CA) *httptest.Server {
	t.Helper()
	pair, err := ca.Server("server", "es.test")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(pair.CertFile, pair.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := CAPool(ca.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(r.TLS.PeerCertificates[0].Subject.CommonName))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func getVia(t *testing.T, p Peer, url string) (string, error) {
	t.Helper()
	cfg, err := p.Config()
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	defer c.CloseIdleConnections()
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestAPeerPresentsItsClientCertificate(t *testing.T) {
	ca, err := pki.New(t.TempDir(), "ca")
	if err != nil {
		t.Fatal(err)
	}
	client, err := ca.Client("client", "esdr")
	if err != nil {
		t.Fatal(err)
	}
	srv := mtlsServer(t, ca)
	got, err := getVia(t, Peer{CAFile: ca.CertFile, CertFile: client.CertFile, KeyFile: client.KeyFile}, srv.URL)
	if err != nil || got != "esdr" {
		t.Fatalf("with a client certificate: %q, %v; want esdr", got, err)
	}
	if _, err := getVia(t, Peer{CAFile: ca.CertFile}, srv.URL); err == nil {
		t.Fatal("without a client certificate the server answered")
	}
}

func TestServerNameReplacesTheHostInVerification(t *testing.T) {
	ca, err := pki.New(t.TempDir(), "ca")
	if err != nil {
		t.Fatal(err)
	}
	client, err := ca.Client("client", "esdr")
	if err != nil {
		t.Fatal(err)
	}
	srv := mtlsServer(t, ca)
	p := Peer{CAFile: ca.CertFile, CertFile: client.CertFile, KeyFile: client.KeyFile, ServerName: "es.test"}
	if _, err := getVia(t, p, srv.URL); err != nil {
		t.Fatalf("server_name es.test: %v", err)
	}
	p.ServerName = "other.test"
	var hostErr x509.HostnameError
	if _, err := getVia(t, p, srv.URL); !errors.As(err, &hostErr) || hostErr.Host != "other.test" {
		t.Fatalf("server_name other.test: %v, want a host name error for other.test", err)
	}
}

func TestClientCertificateProblemsAreToldApart(t *testing.T) {
	dir := t.TempDir()
	ca, err := pki.New(dir, "ca")
	if err != nil {
		t.Fatal(err)
	}
	a, err := ca.Client("a", "a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := ca.Client("b", "b")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ClientCertificate(a.CertFile, b.KeyFile); !errors.Is(err, ErrNotAPair) {
		t.Errorf("mismatched pair: %v, want ErrNotAPair", err)
	}
	if _, err := ClientCertificate(filepath.Join(dir, "absent.pem"), a.KeyFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing certificate: %v, want not-exist", err)
	}
	if _, err := ClientCertificate(a.CertFile, ""); err == nil || !strings.Contains(err.Error(), "cert_file without key_file") {
		t.Errorf("missing key: %v", err)
	}
	if _, err := ClientCertificate(a.BundleFile, a.BundleFile); err != nil {
		t.Errorf("one file with both: %v", err)
	}
}

func TestServerNames(t *testing.T) {
	for s, want := range map[string]bool{
		"es.example.com": true, "localhost": true, "127.0.0.1": true, "::1": true, "es_1.internal": true,
		"": false, "https://es.example.com": false, "es.example.com:9200": false, "-es.example.com": false,
		"es..example.com": false, "es example": false,
	} {
		if got := ValidServerName(s); got != want {
			t.Errorf("ValidServerName(%q) = %v, want %v", s, got, want)
		}
	}
}
