package main

import (
	"crypto/tls"
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/tlsfile"
)

// TestOpsCLIOverTLS: the CLI reaches an https admin API that wants a client certificate
// with --ca-file, --cert and --key (or their variables), and says which flag is missing.
func TestOpsCLIOverTLS(t *testing.T) {
	srv, err := admin.New(admin.Config{Listen: "127.0.0.1:0", Token: opsToken}, opsFake{}, prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	const fixtures = "../../internal/config/testdata/good/"
	clientCAs, err := tlsfile.CAPool(fixtures + "listener.crt")
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(srv.Handler())
	hs.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCAs}
	hs.StartTLS()
	t.Cleanup(hs.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: hs.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ESDR_ADMIN_TOKEN", opsToken)
	for _, v := range []string{"ESDR_CA_FILE", "ESDR_CERT", "ESDR_KEY"} {
		t.Setenv(v, "")
	}
	cert, key := fixtures+"listener.crt", fixtures+"listener.key"
	bare := strings.TrimPrefix(hs.URL, "https://")
	cases := []struct {
		args     []string
		code     int
		out, err string
	}{
		{[]string{"status", "--addr", hs.URL, "--ca-file", ca, "--cert", cert, "--key", key}, 0, "active:", ""},
		{[]string{"status", "--addr", bare, "--ca-file", ca, "--cert", cert, "--key", key}, 0, "active:", ""},
		{[]string{"status", "--addr", hs.URL, "--cert", cert, "--key", key}, 1, "", "give the CA with --ca-file"},
		{[]string{"status", "--addr", hs.URL, "--ca-file", ca}, 1, "", "give --cert and --key"},
		{[]string{"status", "--addr", "http://" + bare, "--ca-file", ca}, 2, "", "want an https:// --addr"},
		{[]string{"status", "--addr", hs.URL, "--ca-file", ca, "--cert", cert}, 2, "", "needs both a certificate file and a key file"},
		{[]string{"status", "--addr", hs.URL, "--ca-file", filepath.Join(t.TempDir(), "none.pem")}, 2, "", "--ca-file/--cert/--key: CA file: open"},
	}
	for _, c := range cases {
		code, out, errOut := runOps(c.args...)
		if code != c.code || !strings.Contains(out, c.out) || !strings.Contains(errOut, c.err) {
			t.Errorf("esdr %s\n= %d\nstdout %q\nstderr %q\nwant %d, stdout with %q, stderr with %q", strings.Join(c.args, " "), code, out, errOut, c.code, c.out, c.err)
		}
	}
	t.Setenv("ESDR_CA_FILE", ca)
	t.Setenv("ESDR_CERT", cert)
	t.Setenv("ESDR_KEY", key)
	if code, out, errOut := runOps("status", "--addr", hs.URL); code != 0 || !strings.Contains(out, "active:") {
		t.Errorf("with ESDR_CA_FILE, ESDR_CERT and ESDR_KEY: %d %q %q", code, out, errOut)
	}
}
