package peers

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/testbed/child"
	"github.com/esdr/esdr/testbed/pki"
	"github.com/esdr/esdr/testbed/poll"
)

// TLSFront is HAProxy as a secured cluster's front, as Elasticsearch with security on
// looks from outside: HTTPS with a certificate from a test CA, basic auth, and, with
// VerifyClients, a client certificate required (mutual TLS).
type TLSFront struct {
	// URL is the front's https URL, the one node URL esdr is given.
	URL string
	// CA issued the front's certificate and, with VerifyClients, the client certificates
	// it accepts.
	CA *pki.CA
	// User and Password are the one user the front lets through.
	User, Password string

	proc *child.Proc
}

// Stop stops the front (a later front may take its address).
func (f TLSFront) Stop(t testing.TB) { f.proc.StopT(t) }

// TLSFrontOptions say how the front is secured.
type TLSFrontOptions struct {
	// User and Password: the front's one user; required.
	User, Password string
	// VerifyClients makes the front demand a client certificate issued by the CA.
	VerifyClients bool
	// Addr is the host:port to listen on; empty: a free port on 127.0.0.1.
	Addr string
}

// StartTLSFront starts HAProxy on a free port serving HTTPS with a server certificate
// from ca (valid for 127.0.0.1 and localhost), asking for basic auth before anything is
// forwarded to nodes (host:port each, round-robin). A cleanup stops it.
func StartTLSFront(t testing.TB, ca *pki.CA, nodes []string, o TLSFrontOptions) TLSFront {
	t.Helper()
	if o.User == "" || o.Password == "" || strings.ContainsAny(o.User+o.Password, " \n#\\") {
		t.Fatalf("peers: a TLS front needs a user and a password without spaces, '#' or '\\'")
	}
	dir, err := os.MkdirTemp("", "esdr-tlsfront")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	srv, err := ca.Server(fmt.Sprintf("front-%d", time.Now().UnixNano()))
	if err != nil {
		t.Fatal(err)
	}
	addr := o.Addr
	if addr == "" {
		addr = fmt.Sprintf("127.0.0.1:%d", FreePort(t))
	}
	verify := ""
	if o.VerifyClients {
		verify = fmt.Sprintf(" ca-file %s verify required", ca.CertFile)
	}
	var b strings.Builder
	b.WriteString("defaults\n  mode http\n  timeout connect 2s\n  timeout client 10s\n  timeout server 10s\n")
	fmt.Fprintf(&b, "userlist users\n  user %s insecure-password %s\n", o.User, o.Password)
	fmt.Fprintf(&b, "frontend fe\n  bind %s ssl crt %s%s\n", addr, srv.BundleFile, verify)
	b.WriteString("  http-request auth realm security unless { http_auth(users) }\n")
	b.WriteString("  default_backend es\nbackend es\n  balance roundrobin\n")
	for i, n := range nodes {
		fmt.Fprintf(&b, "  server n%d %s\n", i, n)
	}
	proc := RunHAProxyT(t, dir, b.String())
	if err := poll.Accepting(context.Background(), 20*time.Second, "tcp", addr); err != nil {
		t.Fatalf("haproxy TLS front: %v", err)
	}
	return TLSFront{URL: "https://" + addr, CA: ca, User: o.User, Password: o.Password, proc: proc}
}
