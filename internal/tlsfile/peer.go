package tlsfile

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
)

// maxPEMFile bounds how much of a client certificate chain or key is read.
const maxPEMFile = 1 << 20

// ErrNotAPair is returned (wrapped) for a certificate file and a key file that were read
// but do not load as a certificate and its key.
var ErrNotAPair = errors.New("not a certificate and its key")

// Peer is how esdr reaches a TLS server it connects to: a cluster's node (probes,
// fences, the proxy's upstream connections), etcd, or one of esdr's own listeners (the
// CLI). Every field is optional.
type Peer struct {
	// CAFile is a PEM bundle trusted instead of the system roots.
	CAFile string
	// CertFile and KeyFile are the client certificate (PEM chain, leaf first) and its
	// key, presented to a server that asks for one (Elasticsearch's PKI realm, an
	// HAProxy or etcd verifying clients). Both or neither.
	CertFile, KeyFile string
	// ServerName replaces the host of the URL as the name sent in SNI and the name the
	// server's certificate must be valid for.
	ServerName string
	// InsecureSkipVerify turns certificate checks off. Only for test beds.
	InsecureSkipVerify bool
}

// Config builds the client TLS configuration of p: TLS 1.2 or later, the CA, the
// client certificate and the server name. Errors name the file at fault. The client
// certificate is read again when its files change (see clientPair); the CA is read here
// only.
func (p Peer) Config() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: p.ServerName, InsecureSkipVerify: p.InsecureSkipVerify} //nolint:gosec // explicit opt-in
	if p.CAFile != "" {
		pool, err := CAPool(p.CAFile)
		if err != nil {
			return nil, &FileError{Key: "ca_file", Err: err}
		}
		cfg.RootCAs = pool
	}
	if p.CertFile != "" || p.KeyFile != "" {
		certPEM, keyPEM, cert, err := readClientPair(p.CertFile, p.KeyFile)
		if err != nil {
			return nil, err
		}
		pair := newClientPair(loadedKeypair(p.CertFile, p.KeyFile, certPEM, keyPEM, &cert), time.Now)
		cfg.GetClientCertificate = pair.get
	}
	return cfg, nil
}

// HasClientCertificate reports whether p presents a client certificate.
func (p Peer) HasClientCertificate() bool { return p.CertFile != "" }

// ClientCertificate reads a client certificate and its key, each read bounded. A missing
// half, an unreadable file and a pair that does not load are told apart: the last wraps
// ErrNotAPair.
func ClientCertificate(certFile, keyFile string) (tls.Certificate, error) {
	_, _, cert, err := readClientPair(certFile, keyFile)
	return cert, err
}

// readClientPair is ClientCertificate with the files' contents, for a Keypair to compare
// later contents with.
func readClientPair(certFile, keyFile string) (certPEM, keyPEM []byte, cert tls.Certificate, err error) {
	switch {
	case certFile == "":
		return nil, nil, cert, errors.New("key_file without cert_file, want both or neither")
	case keyFile == "":
		return nil, nil, cert, errors.New("cert_file without key_file, want both or neither")
	}
	if certPEM, err = readPEM(certFile); err != nil {
		return nil, nil, cert, &FileError{Key: "cert_file", Err: err}
	}
	if keyPEM, err = readPEM(keyFile); err != nil {
		return nil, nil, cert, &FileError{Key: "key_file", Err: err}
	}
	if cert, err = tls.X509KeyPair(certPEM, keyPEM); err != nil {
		return nil, nil, cert, &NotAPairError{CertFile: certFile, KeyFile: keyFile, Reason: err}
	}
	return certPEM, keyPEM, cert, nil
}

// FileError is a file of a Peer that cannot be read or holds no certificate. Key is
// the file's configuration key (ca_file, cert_file, key_file), for a caller that names
// it otherwise (the CLI's flags).
type FileError struct {
	Key string
	Err error
}

func (e *FileError) Error() string { return e.Key + ": " + e.Err.Error() }

// Unwrap exposes the cause (os.ErrNotExist, ErrNoCertificate).
func (e *FileError) Unwrap() error { return e.Err }

// NotAPairError is a certificate file and a key file that were read but do not load as
// a pair: no PEM certificate, no PEM key, or a key that does not match the leaf.
type NotAPairError struct {
	CertFile, KeyFile string
	Reason            error // crypto/tls's
}

func (e *NotAPairError) Error() string {
	return fmt.Sprintf("%s and %s: %v: %v", e.CertFile, e.KeyFile, ErrNotAPair, e.Reason)
}

// Is makes errors.Is(err, ErrNotAPair) true.
func (e *NotAPairError) Is(target error) bool { return target == ErrNotAPair }

// Unwrap exposes crypto/tls's reason.
func (e *NotAPairError) Unwrap() error { return e.Reason }

// readPEM reads at most maxPEMFile bytes of path; a larger file is an error.
func readPEM(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPEMFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxPEMFile {
		return nil, fmt.Errorf("%s is larger than %d bytes, want a PEM file", path, maxPEMFile)
	}
	return b, nil
}

// ValidServerName reports whether s can be a server_name: a bare host name or IP
// address, without scheme, port or path.
func ValidServerName(s string) bool {
	if net.ParseIP(s) != nil {
		return true
	}
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}
