package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadForReloadDoesNotReadTheCertificateFiles: a listener pair caught mid-rotation
// (the new certificate written, its key not yet) and a client pair likewise make Load
// refuse the file, as esdr's start must; LoadForReload accepts it, since a reload applies
// none of those files. A TLS block that lacks a key is refused by both.
func TestLoadForReloadDoesNotReadTheCertificateFiles(t *testing.T) {
	dir := t.TempDir()
	for dst, src := range map[string]string{
		"listener.crt": "listener2.crt", "listener.key": "listener.key", // not a pair
		"client.crt": "client.crt", "client.key": "listener.key", // not a pair either
		"ca.pem": "ca.pem",
	} {
		b, err := os.ReadFile(filepath.Join("testdata/good", src))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, dst), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write := func(yaml string) string {
		path := filepath.Join(dir, "esdr.yaml")
		if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	path := write(`clusters:
  - {name: primary, nodes: [https://127.0.0.1:9200], tls: {ca_file: ca.pem, cert_file: client.crt, key_file: client.key}}
  - {name: standby, nodes: [http://127.0.0.1:9201]}
admin:
  listen: 127.0.0.1:9310
  token: 0123456789abcdef
  tls: {cert_file: listener.crt, key_file: listener.key}
`)
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), "admin.tls: ") || !strings.Contains(err.Error(), "clusters[0].tls: ") {
		t.Fatalf("Load: %v, want both pairs refused", err)
	}
	cfg, err := LoadForReload(path)
	if err != nil {
		t.Fatalf("LoadForReload: %v", err)
	}
	if cfg.Admin.TLS.CertFile != filepath.Join(dir, "listener.crt") {
		t.Errorf("admin.tls.cert_file %q, want it relative to the file's directory", cfg.Admin.TLS.CertFile)
	}

	path = write(`clusters:
  - {name: primary, nodes: [http://127.0.0.1:9200]}
  - {name: standby, nodes: [http://127.0.0.1:9201]}
admin:
  listen: 127.0.0.1:9310
  token: 0123456789abcdef
  tls: {cert_file: listener.crt}
`)
	if _, err := LoadForReload(path); err == nil || !strings.Contains(err.Error(), "admin.tls.key_file: missing") {
		t.Fatalf("LoadForReload without key_file: %v, want admin.tls.key_file missing", err)
	}
}
