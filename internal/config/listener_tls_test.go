package config

import (
	"strings"
	"testing"
)

// TestForwardedCredentialsOverTLSWithoutClientCertificatesWarn: lending the clusters'
// credentials on every interface is allowed with TLS, but without client certificates
// whoever connects uses them, which check-config says.
func TestForwardedCredentialsOverTLSWithoutClientCertificatesWarn(t *testing.T) {
	base := `clusters:
  - {name: primary, nodes: [http://127.0.0.1:9200], auth: {username: esdr, password: pw}}
  - {name: standby, nodes: [http://127.0.0.1:9201]}
admin: {listen: 127.0.0.1:9310, token: 0123456789abcdef}
proxy:
  listen: 0.0.0.0:9200
  forward_credentials: true
  tls: {cert_file: listener.crt, key_file: listener.key%s}
`
	for _, c := range []struct {
		name, extra string
		warn        bool
	}{
		{"no client CA", "", true},
		{"client certificates required", ", client_ca_file: ca.pem", false},
	} {
		cfg, err := Parse([]byte(strings.Replace(base, "%s", c.extra, 1)), "testdata/good", testEnv(nil))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		warned := len(cfg.Warnings) == 1 && strings.Contains(cfg.Warnings[0], "no proxy.tls.client_ca_file")
		if warned != c.warn || (!c.warn && len(cfg.Warnings) != 0) {
			t.Errorf("%s: warnings %q", c.name, cfg.Warnings)
		}
		if cfg.Proxy.TLS.CertFile != "testdata/good/listener.crt" {
			t.Errorf("%s: cert_file %q, want it relative to the file's directory", c.name, cfg.Proxy.TLS.CertFile)
		}
	}
}
