// Package pki issues the certificates of a test bed's secured peers with crypto/x509: a
// CA, server certificates for 127.0.0.1 and localhost, and client certificates, each
// written as PEM files into a directory.
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// DefaultValidity is how long the certificates of New are valid.
const DefaultValidity = 24 * time.Hour

// CA is a certificate authority whose files are in one directory.
type CA struct {
	// CertFile is the CA certificate (PEM), the file peers trust.
	CertFile string
	// NotAfter ends the validity of every certificate the CA issues.
	NotAfter time.Time

	dir  string
	cert *x509.Certificate
	key  crypto.Signer
}

// Pair is an issued certificate: its PEM certificate, its PEM key, and both in one file
// (HAProxy's "crt").
type Pair struct {
	CertFile, KeyFile, BundleFile string
}

// New creates a CA named name in dir (name.pem, name.key), valid for DefaultValidity.
func New(dir, name string) (*CA, error) {
	return NewValid(dir, name, time.Now().Add(DefaultValidity))
}

// NewValid is New with the CA and everything it issues valid until notAfter.
func NewValid(dir, name string, notAfter time.Time) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: name, Organization: []string{"esdr test bed"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, cert, err := sign(tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	ca := &CA{NotAfter: notAfter, dir: dir, cert: cert, key: key}
	p, err := ca.write(name, der, key)
	if err != nil {
		return nil, err
	}
	ca.CertFile = p.CertFile
	return ca, nil
}

// Server issues a server certificate named name for 127.0.0.1, ::1 and localhost, and
// for the extra host names or IP addresses in hosts; it serves as a client certificate
// too, as etcd's does.
func (ca *CA) Server(name string, hosts ...string) (Pair, error) {
	tmpl := &x509.Certificate{
		Subject: pkix.Name{CommonName: name},
		// Client auth too: etcd's gateway connects to its own port with this certificate.
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return ca.issue(name, tmpl)
}

// Client issues a client certificate named name whose subject's common name is cn (the
// user name Elasticsearch's PKI realm maps).
func (ca *CA) Client(name, cn string) (Pair, error) {
	return ca.issue(name, &x509.Certificate{
		Subject:     pkix.Name{CommonName: cn},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
}

func (ca *CA) issue(name string, tmpl *x509.Certificate) (Pair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Pair{}, fmt.Errorf("pki: %w", err)
	}
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = ca.NotAfter
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, _, err := sign(tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return Pair{}, err
	}
	return ca.write(name, der, key)
}

// sign creates a certificate with a random serial number.
func sign(tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) ([]byte, *x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, fmt.Errorf("pki: serial: %w", err)
	}
	tmpl.SerialNumber = serial
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: sign %s: %w", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: %w", err)
	}
	return der, cert, nil
}

// write stores name.pem, name.key and name.bundle.pem (both) in the CA's directory.
func (ca *CA) write(name string, der []byte, key *ecdsa.PrivateKey) (Pair, error) {
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Pair{}, fmt.Errorf("pki: %w", err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	p := Pair{
		CertFile:   filepath.Join(ca.dir, name+".pem"),
		KeyFile:    filepath.Join(ca.dir, name+".key"),
		BundleFile: filepath.Join(ca.dir, name+".bundle.pem"),
	}
	for path, data := range map[string][]byte{p.CertFile: certPEM, p.KeyFile: keyPEM, p.BundleFile: append(append([]byte{}, certPEM...), keyPEM...)} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return Pair{}, fmt.Errorf("pki: %w", err)
		}
	}
	return p, nil
}
