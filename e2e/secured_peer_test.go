package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/esdr/esdr/testbed/peers"
	"github.com/esdr/esdr/testbed/pki"
)

// securedSettings runs esdr on the primary through front: basic auth, the CA, the client
// certificate when given, and the proxy forwarding esdr's credentials.
func securedSettings(front peers.TLSFront, caFile string, client *pki.Pair) settings {
	s := grayDefaults()
	s.primaryNodes = []string{front.URL}
	s.PrimaryAuth = fmt.Sprintf("{username: %s, password: %s}", front.User, front.Password)
	tls := "ca_file: " + caFile
	if client != nil {
		tls += fmt.Sprintf(", cert_file: %s, key_file: %s", client.CertFile, client.KeyFile)
	}
	s.PrimaryTLS = "{" + tls + "}"
	s.proxy = true
	s.extra = "  forward_credentials: true\n" // continues the proxy block
	return s
}

func frontNodes(p pair) []string {
	var out []string
	for _, u := range p.primary.URLs() {
		out = append(out, strings.TrimPrefix(u, "http://"))
	}
	return out
}

// readOnly reports the primary's write block, read on its nodes directly.
func readOnly(t *testing.T, p pair) bool {
	set, err := esOf(t, p.primary).ClusterSettings(context.Background())
	return err == nil && fmt.Sprint(set["cluster.blocks.read_only"]) == "true"
}

// TestSecuredPeerWithClientCertificateAndBasicAuth: the primary behind HAProxy serving
// TLS with basic auth, then also demanding a client certificate. esdr probes it, fences
// and unfences it, and proxies a client's request to it, all through the front; when
// the front's certificate comes from a CA esdr does not trust, esdr is blind, not down.
func TestSecuredPeerWithClientCertificateAndBasicAuth(t *testing.T) {
	p := clusters(t, "opensearch2")
	ca, err := pki.New(t.TempDir(), "ca")
	if err != nil {
		t.Fatal(err)
	}
	client, err := ca.Client("esdr", "esdr")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("basic auth over TLS", func(t *testing.T) {
		front := peers.StartTLSFront(t, ca, frontNodes(p), peers.TLSFrontOptions{User: "esdr", Password: "esdr-secret"})
		e := startSettled(t, p, securedSettings(front, ca.CertFile, nil))
		proxied(t, e)
		if strings.Contains(e.Output(), "esdr-secret") {
			t.Error("the password appears in esdr's log")
		}
	})

	t.Run("client certificate", func(t *testing.T) {
		front := peers.StartTLSFront(t, ca, frontNodes(p), peers.TLSFrontOptions{User: "esdr", Password: "esdr-secret", VerifyClients: true})
		e := startSettled(t, p, securedSettings(front, ca.CertFile, &client))
		proxied(t, e)
		// A fence and its lift go through the front too.
		if out, code := e.cli("switchover", "--to", "standby"); code != 0 {
			t.Fatalf("switchover: %d %s", code, out)
		}
		e.waitActive("standby", 2, detectBound)
		e.eventually("the primary fenced through the front", detectBound, func() bool { return readOnly(t, p) })
		if out, code := e.cli("switchover", "--to", "primary"); code != 0 {
			t.Fatalf("switchover back: %d %s", code, out)
		}
		e.waitActive("primary", 3, detectBound)
		e.eventually("the primary unfenced through the front", detectBound, func() bool { return !readOnly(t, p) })
		proxied(t, e)
	})

	t.Run("a certificate from a CA esdr does not trust is blind, not down", func(t *testing.T) {
		front := peers.StartTLSFront(t, ca, frontNodes(p), peers.TLSFrontOptions{User: "esdr", Password: "esdr-secret", VerifyClients: true})
		e := startSettled(t, p, securedSettings(front, ca.CertFile, &client))
		// The front's certificate is replaced by one from another CA, on the same address.
		other, err := pki.New(t.TempDir(), "other")
		if err != nil {
			t.Fatal(err)
		}
		front.Stop(t)
		peers.StartTLSFront(t, other, frontNodes(p), peers.TLSFrontOptions{User: "esdr", Password: "esdr-secret",
			Addr: strings.TrimPrefix(front.URL, "https://")})
		holdsBlind(t, e, "x509: certificate signed by unknown authority")
	})
}

// proxied sends a request without credentials through esdr's proxy: esdr adds the
// cluster's, and its client certificate, on the way to the front.
func proxied(t *testing.T, e *esdr) {
	t.Helper()
	resp, err := http.Get(e.proxyURL + "/_cluster/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Esdr-Cluster") != "primary" {
		t.Fatalf("through the proxy: HTTP %d from %q, want 200 from primary", resp.StatusCode, resp.Header.Get("X-Esdr-Cluster"))
	}
}
