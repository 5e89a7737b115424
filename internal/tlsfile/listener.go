package tlsfile

import (
	"crypto/tls"
	"fmt"
)

// ServerConfig is the TLS configuration of one of esdr's listeners: the keypair's
// current certificate at every handshake, TLS 1.2 or later, HTTP/1.1 only (the proxy
// speaks HTTP/1.1 to its clients and nodes). With clientCAFile, every client must
// present a certificate that chains to it; without, none is asked for.
func ServerConfig(k *Keypair, clientCAFile string) (*tls.Config, error) {
	cfg := &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: k.GetCertificate,
		NextProtos:     []string{"http/1.1"},
	}
	if clientCAFile != "" {
		pool, err := CAPool(clientCAFile)
		if err != nil {
			return nil, fmt.Errorf("tls: client CA: %w", err)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}
