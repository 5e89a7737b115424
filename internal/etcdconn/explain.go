package etcdconn

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/esdr/esdr/internal/tlsfile"
)

// explainTimeout bounds the handshake Explain makes with each endpoint.
const explainTimeout = 2 * time.Second

// Explain adds to err what a TLS handshake with o's https endpoints says, when one of
// them has a certificate problem: etcd's client waits for a usable connection until the
// deadline and reports only "context deadline exceeded", whether etcd is down or
// refuses esdr's certificate. err is returned unchanged when it is nil, when o does not
// use TLS, or when every handshake succeeds.
func Explain(ctx context.Context, o Options, err error) error {
	if err == nil {
		return nil
	}
	cfg, cerr := tlsfile.Peer{CAFile: o.CAFile, CertFile: o.CertFile, KeyFile: o.KeyFile, ServerName: o.ServerName}.Config()
	if cerr != nil {
		return err
	}
	for _, ep := range o.Endpoints {
		u, perr := url.Parse(ep)
		if perr != nil || u.Scheme != "https" {
			continue
		}
		if problem := handshake(ctx, cfg, u.Host); problem != "" {
			return fmt.Errorf("%w; etcd %s: %s", err, ep, problem)
		}
	}
	return err
}

// handshake connects to addr with cfg and sends one request, since a server that wants
// a client certificate says so only after a TLS 1.3 handshake; it returns what is wrong
// with the certificates, or "" (including when addr cannot be reached at all).
func handshake(ctx context.Context, cfg *tls.Config, addr string) string {
	ctx, cancel := context.WithTimeout(ctx, explainTimeout)
	defer cancel()
	cfg = cfg.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName, _, _ = net.SplitHostPort(addr)
	}
	cfg.NextProtos = []string{"http/1.1"}
	d := tls.Dialer{Config: cfg}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err == nil {
		defer c.Close()
		deadline, _ := ctx.Deadline()
		_ = c.SetDeadline(deadline)
		_, err = c.Write([]byte("GET /health HTTP/1.1\r\nHost: " + cfg.ServerName + "\r\nConnection: close\r\n\r\n"))
		if err == nil {
			_, err = c.Read(make([]byte, 1))
		}
	}
	return certProblem(err)
}

// certProblem names a certificate problem in err, or "".
func certProblem(err error) string {
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var op *net.OpError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &unknownAuth):
		return "its certificate is signed by an authority not in ca_file (" + unknownAuth.Error() + ")"
	case errors.As(err, &hostErr):
		return "its certificate is not valid for the name esdr checks (server_name, else the endpoint's host): " + hostErr.Error()
	case errors.As(err, &invalid):
		return "its certificate is not valid: " + invalid.Error()
	case errors.As(err, &op) && op.Op == "remote error" && strings.Contains(op.Err.Error(), "certificate"):
		return "etcd refused esdr's client certificate (" + op.Err.Error() + "): with --client-cert-auth it wants cert_file and key_file, issued by the CA of its --trusted-ca-file"
	}
	return ""
}
