package config

import (
	"errors"
	"os"

	"github.com/esdr/esdr/internal/tlsfile"
)

// peerTLS is the TLS settings of one kind of connection esdr makes to a server: a
// cluster's nodes (clusters[].tls), etcd (fleet.etcd, targets.etcd[]).
type peerTLS struct {
	ca, cert, key, serverName string
}

// validatePeerTLS checks the settings under the block key by loading the files as the
// connection will, so that check-config reports what would fail at start. caWant says
// what the CA file should be.
func validatePeerTLS(p *collector, key string, t peerTLS, caWant string) {
	if t.ca != "" && !p.noTLSFiles {
		k := field(key, "ca_file")
		switch _, err := tlsfile.CAPool(t.ca); {
		case errors.Is(err, tlsfile.ErrNoCertificate):
			p.add(k, "%s holds no PEM certificate, want %s", t.ca, caWant)
		case err != nil:
			p.add(k, "%s cannot be read (%v), want a readable PEM file", t.ca, unwrapPathError(err))
		}
	}
	if t.serverName != "" && !tlsfile.ValidServerName(t.serverName) {
		p.add(field(key, "server_name"), "%q is not allowed, want a bare host name such as es.example.com, the name the server's certificate is issued for", t.serverName)
	}
	switch {
	case t.cert == "" && t.key == "":
		return
	case t.cert == "":
		p.add(field(key, "cert_file"), "missing, want the PEM client certificate whose private key is key_file")
		return
	case t.key == "":
		p.add(field(key, "key_file"), "missing, want the PEM private key of cert_file")
		return
	case p.noTLSFiles:
		return
	}
	certOK := peerFileReadable(p, field(key, "cert_file"), t.cert)
	keyOK := peerFileReadable(p, field(key, "key_file"), t.key)
	if !certOK || !keyOK {
		return
	}
	var np *tlsfile.NotAPairError
	if _, err := tlsfile.ClientCertificate(t.cert, t.key); errors.As(err, &np) {
		p.add(key, "%s and %s are not a certificate and its key (%v), want a PEM certificate chain (leaf first) and the leaf's PEM private key", t.cert, t.key, np.Reason)
	} else if err != nil {
		p.add(key, "%v, want readable PEM files", err)
	}
}

// peerFileReadable adds a problem under key unless path can be opened for reading.
func peerFileReadable(p *collector, key, path string) bool {
	f, err := os.Open(path)
	if err != nil {
		p.add(key, "%s cannot be read (%v), want a readable PEM file", path, unwrapPathError(err))
		return false
	}
	f.Close()
	return true
}
