package config

import (
	"crypto/tls"
	"errors"
	"os"

	"github.com/esdr/esdr/internal/tlsfile"
)

// ListenerTLS is TLS on one of esdr's own listeners (admin.tls, proxy.tls). The pair is
// read again on SIGHUP and whenever the files change; a pair that does not load leaves
// the previous one in use. Paths are relative to the configuration file's directory.
type ListenerTLS struct {
	// CertFile is the PEM certificate chain the listener presents, leaf first.
	CertFile string `yaml:"cert_file"`
	// KeyFile is the PEM private key of the leaf certificate.
	KeyFile string `yaml:"key_file"`
	// ClientCAFile, when set, makes every client present a certificate that chains to
	// one of these PEM certificates (mutual TLS); without it, none is asked for.
	ClientCAFile string `yaml:"client_ca_file"`
}

// On reports whether the listener serves TLS.
func (t *ListenerTLS) On() bool { return t != nil }

// ServerConfig loads the pair and the client CA into a listener's TLS configuration,
// with the keypair so that it can be reloaded. Validation has read the same files.
func (t *ListenerTLS) ServerConfig() (*tlsfile.Keypair, *tls.Config, error) {
	k, err := tlsfile.LoadKeypair(t.CertFile, t.KeyFile)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := tlsfile.ServerConfig(k, t.ClientCAFile)
	if err != nil {
		return nil, nil, err
	}
	return k, cfg, nil
}

func (t *ListenerTLS) normalize(baseDir string) {
	if t == nil {
		return
	}
	t.CertFile = resolvePath(baseDir, t.CertFile)
	t.KeyFile = resolvePath(baseDir, t.KeyFile)
	t.ClientCAFile = resolvePath(baseDir, t.ClientCAFile)
}

// validate checks the block under key (admin.tls, proxy.tls) by loading what it names,
// as the listener will.
func (t *ListenerTLS) validate(p *collector, key string) {
	if t == nil {
		return
	}
	if t.CertFile == "" {
		p.add(field(key, "cert_file"), "missing, want the PEM certificate the listener presents (leave %s out for plain HTTP)", key)
	}
	if t.KeyFile == "" {
		p.add(field(key, "key_file"), "missing, want the PEM private key of cert_file")
	}
	if p.noTLSFiles {
		return
	}
	certOK := t.CertFile != "" && readable(p, field(key, "cert_file"), t.CertFile)
	keyOK := t.KeyFile != "" && readable(p, field(key, "key_file"), t.KeyFile)
	if certOK && keyOK {
		var pe *tlsfile.PairError
		if _, err := tlsfile.LoadKeypair(t.CertFile, t.KeyFile); errors.As(err, &pe) {
			p.add(key, "%s and %s are not a certificate and its key (%v), want a PEM certificate chain (leaf first) and the leaf's PEM private key", t.CertFile, t.KeyFile, pe.Err)
		} else if err != nil {
			p.add(key, "%v, want readable PEM files", err)
		}
	}
	if t.ClientCAFile == "" {
		return
	}
	ck := field(key, "client_ca_file")
	switch _, err := tlsfile.CAPool(t.ClientCAFile); {
	case errors.Is(err, tlsfile.ErrNoCertificate):
		p.add(ck, "%s holds no PEM certificate, want the PEM CA that issues the clients' certificates", t.ClientCAFile)
	case err != nil:
		p.add(ck, "%s cannot be read (%v), want a readable PEM file", t.ClientCAFile, unwrapPathError(err))
	}
}

// readable adds a problem under key unless path can be opened for reading.
func readable(p *collector, key, path string) bool {
	f, err := os.Open(path)
	if err != nil {
		p.add(key, "%s cannot be read (%v), want a readable PEM file", path, unwrapPathError(err))
		return false
	}
	f.Close()
	return true
}

// warnings: credentials lent over TLS to any client that can connect.
func (x ProxyConfig) warnings() []string {
	if x.Listen == "" || !x.ForwardCredentials || loopbackListen(x.Listen) || !x.TLS.On() || x.TLS.ClientCAFile != "" {
		return nil
	}
	return []string{"proxy.forward_credentials on " + x.Listen + " with proxy.tls but no proxy.tls.client_ca_file: " +
		"whoever can connect acts with the clusters' credentials (or esdr's IAM identity, for aws); set client_ca_file so that only clients with a certificate can"}
}
