package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/etcdconn"
	"github.com/esdr/esdr/testbed/peers"
	"github.com/esdr/esdr/testbed/pki"
)

// TestFleetOverEtcdWithClientCertificate: a fleet member and an etcd target on an etcd
// that demands client certificates (--client-cert-auth). With esdr's certificate the
// member leads and the target holds the active cluster; without it esdr refuses to
// start and says etcd refused its certificate, not that etcd is down.
func TestFleetOverEtcdWithClientCertificate(t *testing.T) {
	p := clusters(t, "opensearch2")
	ca, err := pki.New(t.TempDir(), "ca")
	if err != nil {
		t.Fatal(err)
	}
	m := peers.EtcdTLS(t, ca)
	etcdTLS := func(withCert bool) string {
		s := "ca_file: " + ca.CertFile
		if withCert {
			s += fmt.Sprintf(", cert_file: %s, key_file: %s", m.Client.CertFile, m.Client.KeyFile)
		}
		return s
	}
	config := func(withCert bool) settings {
		s := defaults()
		s.extra = fmt.Sprintf(`targets:
  etcd:
    - {endpoints: [%s], key: /esdr/active, %s}
fleet:
  name: esdr-a
  etcd: {endpoints: [%s], prefix: /esdr/tls/, dial_timeout: 2s, %s}
  session_ttl: 3s
`, m.Endpoint, etcdTLS(withCert), m.Endpoint, etcdTLS(withCert))
		return s
	}

	t.Run("without a client certificate esdr says why it cannot start", func(t *testing.T) {
		out := newEsdr(t, p, config(false)).refusedStart()
		if !strings.Contains(out, "etcd refused esdr's client certificate") || !strings.Contains(out, "cert_file and key_file") {
			t.Fatalf("the refusal does not name the certificate:\n%s", out)
		}
	})

	t.Run("with one the member leads and the target is written", func(t *testing.T) {
		e := startSettled(t, p, config(true))
		if st := e.status(); st.Fleet == nil || !st.Fleet.Leading {
			t.Fatalf("not a leading fleet member: %+v", st.Fleet)
		}
		cli, err := etcdconn.Dial(etcdconn.Options{Endpoints: []string{m.Endpoint}, CAFile: ca.CertFile,
			CertFile: m.Client.CertFile, KeyFile: m.Client.KeyFile})
		if err != nil {
			t.Fatal(err)
		}
		defer cli.Close()
		// A first start moves no traffic: reapply writes the target.
		if out, code := e.cli("reapply"); code != 0 {
			t.Fatalf("reapply: %d %s", code, out)
		}
		e.eventually("the etcd target names the primary", detectBound, func() bool {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			resp, err := cli.Get(ctx, "/esdr/active")
			return err == nil && len(resp.Kvs) == 1 && strings.Contains(string(resp.Kvs[0].Value), `"cluster":"primary"`)
		})
	})
}
