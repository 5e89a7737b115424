// Package tlsfile reads the TLS material esdr is pointed at by file: one bounded read and
// one set of messages for every connection that verifies a peer (clusters, etcd, the
// proxy's upstreams) and for the configuration's validation.
package tlsfile

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
)

// maxCAFile bounds how much of a CA bundle is read: a bundle is kilobytes, and a path
// pointing at something else must not make esdr read without limit.
const maxCAFile = 1 << 20

// ErrNoCertificate is returned (wrapped) for a file that holds no PEM certificate.
var ErrNoCertificate = errors.New("holds no PEM certificate")

// CAPool reads the PEM bundle at path into a pool for verifying peers.
func CAPool(path string) (*x509.CertPool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pem, err := io.ReadAll(io.LimitReader(f, maxCAFile))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s %w", path, ErrNoCertificate)
	}
	return pool, nil
}
