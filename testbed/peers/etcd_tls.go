package peers

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/tlsfile"
	"github.com/esdr/esdr/testbed/pki"
	"github.com/esdr/esdr/testbed/poll"
)

// EtcdTLSMember is a one-member etcd serving its clients over TLS and demanding a client
// certificate (--client-cert-auth), both issued by CA.
type EtcdTLSMember struct {
	// Endpoint is the https client URL.
	Endpoint string
	// CA issued etcd's server certificate and Client.
	CA *pki.CA
	// Client is a client certificate etcd accepts.
	Client pki.Pair
}

// EtcdTLS starts Debian's etcd-server with a certificate from ca for 127.0.0.1 and
// localhost, trusting client certificates from ca only, and returns once it answers
// /health to a client with a certificate.
func EtcdTLS(t testing.TB, ca *pki.CA) EtcdTLSMember {
	t.Helper()
	bin := Need(t, "etcd")
	dir := t.TempDir()
	srv, err := ca.Server("etcd")
	if err != nil {
		t.Fatal(err)
	}
	client, err := ca.Client("etcd-client", "esdr")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := fmt.Sprintf("https://127.0.0.1:%d", FreePort(t))
	peer := url(FreePort(t))
	Start(t, dir, "etcd-tls", bin, "--name", "esdr-tls", "--data-dir", filepath.Join(dir, "data"),
		"--listen-client-urls", endpoint, "--advertise-client-urls", endpoint,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", "esdr-tls="+peer,
		"--cert-file", srv.CertFile, "--key-file", srv.KeyFile,
		"--client-cert-auth", "--trusted-ca-file", ca.CertFile)
	cfg, err := tlsfile.Peer{CAFile: ca.CertFile, CertFile: client.CertFile, KeyFile: client.KeyFile}.Config()
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{TLSClientConfig: cfg}
	defer tr.CloseIdleConnections()
	c := http.Client{Timeout: time.Second, Transport: tr}
	err = poll.Until(context.Background(), 30*time.Second, "etcd at "+endpoint+" ready", func() bool {
		resp, err := c.Get(endpoint + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if err != nil {
		t.Fatalf("peers: %v", err)
	}
	return EtcdTLSMember{Endpoint: endpoint, CA: ca, Client: client}
}
