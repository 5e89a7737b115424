package daemon

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/tlsfile"
)

// fixture is a file of the configuration package's fixtures: two self-signed pairs for
// localhost and 127.0.0.1, each its own CA.
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../config/testdata/good", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// replace puts data at path at once, as a rotation does.
func replace(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path+".new", data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
}

// TestBothListenersServeTLSAndReloadTheirPair runs esdr with TLS on the admin API (client
// certificates required) and on the proxy, then rotates the proxy's pair as SIGHUP does:
// new handshakes get the new certificate, a bad pair is refused and counted.
func TestBothListenersServeTLSAndReloadTheirPair(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"listener.crt", "listener.key"} {
		replace(t, filepath.Join(dir, f), fixture(t, f))
		replace(t, filepath.Join(dir, "proxy-"+f), fixture(t, f))
	}
	primary, standby := fakeCluster(t, "primary"), fakeCluster(t, "standby")
	yaml := `clusters:
  - {name: primary, nodes: [` + primary.URL + `]}
  - {name: standby, nodes: [` + standby.URL + `]}
health: {interval: 200ms, timeout: 200ms, checks: [{kind: http, path: /}]}
admin:
  listen: 127.0.0.1:0
  token: ` + testToken + `
  tls: {cert_file: listener.crt, key_file: listener.key, client_ca_file: listener.crt}
proxy:
  listen: ` + freeAddr(t) + `
  tls: {cert_file: proxy-listener.crt, key_file: proxy-listener.key}
state: {path: state.db}
`
	d, _ := runDaemon(t, yaml, dir)
	ctx := context.Background()

	c, err := admin.NewClient("https://"+d.AdminAddr(), testToken, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	dir1 := filepath.Join(dir, "listener")
	tc, err := tlsfile.Peer{CAFile: dir1 + ".crt", CertFile: dir1 + ".crt", KeyFile: dir1 + ".key"}.Config()
	if err != nil {
		t.Fatal(err)
	}
	c.SetTLS(tc)
	waitFor(t, "the first decision, over https with a client certificate", func() bool {
		st, err := c.Status(ctx)
		return err == nil && st.State.Active == "primary"
	})
	anon, _ := admin.NewClient("https://"+d.AdminAddr(), testToken, 10*time.Second)
	anon.SetTLS(&tls.Config{RootCAs: tc.RootCAs})
	if _, err := anon.Status(ctx); err == nil {
		t.Fatal("the admin API served a client without a certificate")
	}

	proxyCN := func(ca []byte) (string, error) {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(ca)
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		defer hc.CloseIdleConnections()
		resp, err := hc.Get("https://" + d.proxy.Addr().String() + "/_search")
		if err != nil {
			return "", err
		}
		resp.Body.Close()
		if resp.Header.Get("X-Fake-Cluster") != "primary" {
			return "", errStatus(resp.Status)
		}
		return resp.TLS.PeerCertificates[0].Subject.CommonName, nil
	}
	waitFor(t, "the proxy routing over https", func() bool { _, err := proxyCN(fixture(t, "listener.crt")); return err == nil })

	replace(t, filepath.Join(dir, "proxy-listener.crt"), fixture(t, "listener2.crt"))
	replace(t, filepath.Join(dir, "proxy-listener.key"), fixture(t, "listener2.key"))
	d.tls.reload()
	if cn, err := proxyCN(fixture(t, "listener2.crt")); err != nil || cn != "esdr-listener-fixture-2" {
		t.Fatalf("after the reload the proxy presents %q (%v), want esdr-listener-fixture-2", cn, err)
	}
	replace(t, filepath.Join(dir, "proxy-listener.key"), fixture(t, "listener.key"))
	d.tls.reload()
	if n := testutil.ToFloat64(d.tls.refused.WithLabelValues("proxy")); n != 1 {
		t.Fatalf("esdr_tls_reload_refused_total{listener=proxy} = %v after a mismatched key, want 1", n)
	}
	if cn, err := proxyCN(fixture(t, "listener2.crt")); err != nil || cn != "esdr-listener-fixture-2" {
		t.Fatalf("after a refused reload the proxy presents %q (%v), want the previous pair", cn, err)
	}
}

type errStatus string

func (e errStatus) Error() string { return "unexpected answer " + string(e) }
