package tlsfile

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// server serves HTTP over TLS with cfg on a loopback port until the test ends.
func server(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }),
		ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(tls.NewListener(ln, cfg))
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// dial makes a TLS connection trusting ca and returns it with the server's leaf name.
func dial(t *testing.T, addr string, ca *testCA, client *tls.Certificate) (*tls.Conn, string, error) {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	cfg := &tls.Config{RootCAs: pool, ServerName: "localhost"}
	if client != nil {
		cfg.Certificates = []tls.Certificate{*client}
	}
	c, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		return nil, "", err
	}
	t.Cleanup(func() { c.Close() })
	return c, c.ConnectionState().PeerCertificates[0].Subject.CommonName, nil
}

// get sends one keep-alive request on c and reads the answer's status line.
func get(t *testing.T, c *tls.Conn) string {
	t.Helper()
	if _, err := fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("request on an established connection: %v", err)
	}
	resp.Body.Close()
	return resp.Status
}

func TestAReloadServesNewHandshakesTheNewPairAndKeepsOldConnections(t *testing.T) {
	ca, dir := newTestCA(t), t.TempDir()
	c1, k1 := ca.issue(t, "first")
	certFile, keyFile := writeFile(t, dir, "tls.crt", c1), writeFile(t, dir, "tls.key", k1)
	kp, err := LoadKeypair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ServerConfig(kp, "")
	if err != nil {
		t.Fatal(err)
	}
	addr := server(t, cfg)
	old, name, err := dial(t, addr, ca, nil)
	if err != nil || name != "first" {
		t.Fatalf("first handshake: %q, %v", name, err)
	}
	get(t, old)

	c2, k2 := ca.issue(t, "second")
	writeFile(t, dir, "tls.crt", c2)
	writeFile(t, dir, "tls.key", k2)
	if changed, err := kp.Reload(); !changed || err != nil {
		t.Fatalf("Reload = %v, %v; want a change", changed, err)
	}
	if _, name, err := dial(t, addr, ca, nil); err != nil || name != "second" {
		t.Fatalf("handshake after the reload: %q, %v; want second", name, err)
	}
	if got := get(t, old); got != "200 OK" {
		t.Fatalf("the connection made before the reload answered %q", got)
	}
}

func TestABadPairKeepsTheOneInUse(t *testing.T) {
	ca, dir := newTestCA(t), t.TempDir()
	c1, k1 := ca.issue(t, "first")
	certFile, keyFile := writeFile(t, dir, "tls.crt", c1), writeFile(t, dir, "tls.key", k1)
	kp, err := LoadKeypair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := ca.issue(t, "second")
	writeFile(t, dir, "tls.crt", c2) // the new certificate, the old key: a rotation half done
	changed, err := kp.Reload()
	if changed || err == nil || !strings.Contains(err.Error(), "still serving the previous certificate") {
		t.Fatalf("Reload = %v, %v; want a refusal", changed, err)
	}
	if cn := kp.Certificate().Leaf.Subject.CommonName; cn != "first" {
		t.Fatalf("serving %q after a refused reload, want first", cn)
	}
	writeFile(t, dir, "tls.crt", []byte("garbage"))
	if _, err := kp.Reload(); err == nil {
		t.Fatal("a file without a certificate was accepted")
	}
	if _, err := LoadKeypair(certFile, keyFile); err == nil || !strings.Contains(err.Error(), certFile) {
		t.Fatalf("LoadKeypair of a bad pair: %v; want an error naming %s", err, certFile)
	}
}

func TestWatchSwitchesWhenTheFilesChangeAndReportsABadPairOnce(t *testing.T) {
	ca, dir := newTestCA(t), t.TempDir()
	c1, k1 := ca.issue(t, "first")
	certFile, keyFile := writeFile(t, dir, "tls.crt", c1), writeFile(t, dir, "tls.key", k1)
	kp, err := LoadKeypair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	changed, refused := make(chan struct{}, 10), make(chan error, 10)
	var wg sync.WaitGroup
	wg.Go(func() {
		kp.Watch(ctx, 5*time.Millisecond, func() { changed <- struct{}{} }, func(err error) { refused <- err })
	})
	defer func() { cancel(); wg.Wait() }()

	c2, k2 := ca.issue(t, "second")
	writeFile(t, dir, "tls.crt", c2)
	// The key still belongs to the first certificate: refused, once.
	if err := <-refused; err == nil {
		t.Fatal("nil refusal")
	}
	writeFile(t, dir, "tls.key", k2)
	<-changed
	if cn := kp.Certificate().Leaf.Subject.CommonName; cn != "second" {
		t.Fatalf("serving %q, want second", cn)
	}
	select {
	case err := <-refused:
		t.Fatalf("the same bad pair was reported twice: %v", err)
	default:
	}
}

func TestAClientCAMakesClientsProveWhoTheyAre(t *testing.T) {
	ca, dir := newTestCA(t), t.TempDir()
	c1, k1 := ca.issue(t, "server")
	kp, err := LoadKeypair(writeFile(t, dir, "tls.crt", c1), writeFile(t, dir, "tls.key", k1))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ServerConfig(kp, writeFile(t, dir, "ca.pem", ca.pem))
	if err != nil {
		t.Fatal(err)
	}
	addr := server(t, cfg)
	if c, _, err := dial(t, addr, ca, nil); err == nil {
		// TLS 1.3 reports the refusal on the first read.
		_, err = c.Read(make([]byte, 1))
		if err == nil {
			t.Fatal("a client without a certificate was served")
		}
	}
	cc, ck := ca.issue(t, "operator")
	clientCfg, err := Peer{CAFile: writeFile(t, dir, "ca2.pem", ca.pem), CertFile: writeFile(t, dir, "c.crt", cc), KeyFile: writeFile(t, dir, "c.key", ck)}.Config()
	if err != nil {
		t.Fatal(err)
	}
	clientCfg.ServerName = "localhost"
	c, err := tls.Dial("tcp", addr, clientCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := get(t, c); got != "200 OK" {
		t.Fatalf("a client with a certificate got %q", got)
	}
	if _, err := (Peer{CertFile: "c.crt"}).Config(); err == nil {
		t.Fatal("a certificate without a key was accepted")
	}
	if _, err := ServerConfig(kp, writeFile(t, dir, "empty.pem", nil)); !errors.Is(err, ErrNoCertificate) {
		t.Fatalf("an empty client CA file: %v", err)
	}
}
