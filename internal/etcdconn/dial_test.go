package etcdconn

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/testbed/peers"
	"github.com/esdr/esdr/testbed/pki"
)

func TestClientCertificateAgainstARealEtcd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd")
	}
	ca, err := pki.New(t.TempDir(), "ca")
	if err != nil {
		t.Fatal(err)
	}
	m := peers.EtcdTLS(t, ca)
	put := func(o Options) error {
		o.Endpoints, o.DialTimeout = []string{m.Endpoint}, 2*time.Second
		cli, err := Dial(o)
		if err != nil {
			return err
		}
		defer cli.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_, err = cli.Put(ctx, "/esdr/tls", "ok")
		return Explain(context.Background(), o, err)
	}
	if err := put(Options{CAFile: ca.CertFile, CertFile: m.Client.CertFile, KeyFile: m.Client.KeyFile}); err != nil {
		t.Fatalf("with a client certificate: %v", err)
	}
	if err := put(Options{CAFile: ca.CertFile, CertFile: m.Client.CertFile, KeyFile: m.Client.KeyFile, ServerName: "localhost"}); err != nil {
		t.Fatalf("with server_name localhost: %v", err)
	}
	other, err := pki.New(t.TempDir(), "other")
	if err != nil {
		t.Fatal(err)
	}
	withCert := func(o Options) Options {
		o.CertFile, o.KeyFile = m.Client.CertFile, m.Client.KeyFile
		return o
	}
	for name, c := range map[string]struct {
		o    Options
		want string
	}{
		"no client certificate": {Options{CAFile: ca.CertFile}, "etcd refused esdr's client certificate"},
		"another server_name":   {withCert(Options{CAFile: ca.CertFile, ServerName: "etcd.elsewhere"}), "not valid for the name esdr checks (server_name, else the endpoint's host): x509: certificate is valid for localhost, not etcd.elsewhere"},
		"another CA":            {withCert(Options{CAFile: other.CertFile}), "signed by an authority not in ca_file (x509: certificate signed by unknown authority)"},
	} {
		if err := put(c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}

func TestExplainLeavesOtherErrorsAlone(t *testing.T) {
	cause := errors.New("boom")
	if err := Explain(context.Background(), Options{Endpoints: []string{"http://127.0.0.1:1"}}, cause); err != cause {
		t.Errorf("plain http: %v", err)
	}
	if err := Explain(context.Background(), Options{Endpoints: []string{"https://127.0.0.1:1"}}, cause); err != cause {
		t.Errorf("nothing listening: %v", err)
	}
	if Explain(context.Background(), Options{}, nil) != nil {
		t.Error("nil became an error")
	}
}
