package etcdkey

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/testbed/peers"
	"github.com/esdr/esdr/testbed/pki"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestApplyNamesTheCertificateProblem: against an etcd started with --client-cert-auth,
// a target without a client certificate, or trusting another CA, fails its Apply with
// what the handshake says instead of a bare deadline; with the certificate it writes.
func TestApplyNamesTheCertificateProblem(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd")
	}
	ca, err := pki.New(t.TempDir(), "ca")
	if err != nil {
		t.Fatal(err)
	}
	other, err := pki.New(t.TempDir(), "other")
	if err != nil {
		t.Fatal(err)
	}
	m := peers.EtcdTLS(t, ca)
	apply := func(c Config) error {
		c.Endpoints, c.Key, c.DialTimeout = []string{m.Endpoint}, key, 2*time.Second
		tg, cli, err := Open(c, nil)
		if err != nil {
			return err
		}
		defer cli.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return tg.Apply(ctx, act.Switch{Epoch: 1, To: "west", ToNodes: []string{"http://w1:9200"}})
	}
	for name, c := range map[string]struct {
		c    Config
		want string
	}{
		"no client certificate": {Config{CAFile: ca.CertFile}, "etcd refused esdr's client certificate"},
		"another CA": {Config{CAFile: other.CertFile, CertFile: m.Client.CertFile, KeyFile: m.Client.KeyFile},
			"signed by an authority not in ca_file"},
	} {
		err := apply(c.c)
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: %v, want the deadline explained by %q", name, err, c.want)
		}
	}
	if err := apply(Config{CAFile: ca.CertFile, CertFile: m.Client.CertFile, KeyFile: m.Client.KeyFile}); err != nil {
		t.Fatalf("with the client certificate: %v", err)
	}
}

// deadlineKV fails every call as etcd's client does when it has no usable connection.
type deadlineKV struct{ kv }

func (deadlineKV) Get(context.Context, string, ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	return nil, context.DeadlineExceeded
}

// TestOnlyDeadlinesAreExplained: the handshakes run after a deadline error only, with a
// live context of their own although the call's has expired; a target made by New has
// nothing to explain with.
func TestOnlyDeadlinesAreExplained(t *testing.T) {
	tg, err := New(deadlineKV{}, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.Apply(context.Background(), act.Switch{Epoch: 1, To: "west"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("without explain: %v", err)
	}
	var calls int
	tg.explain = func(ctx context.Context, err error) error {
		calls++
		if ctx.Err() != nil {
			t.Errorf("explain got an expired context: %v", ctx.Err())
		}
		return fmt.Errorf("%w; etcd https://e:2379: its certificate is not valid", err)
	}
	expired, cancel := context.WithCancel(context.Background())
	cancel()
	err = tg.Apply(expired, act.Switch{Epoch: 1, To: "west"})
	if want := "etcdkey: read /esdr/active: context deadline exceeded; etcd https://e:2379: its certificate is not valid"; err == nil || err.Error() != want {
		t.Fatalf("Apply: %v, want %q", err, want)
	}
	if got := tg.explained(context.Background(), ErrStale); got != ErrStale || calls != 1 {
		t.Fatalf("a non-deadline error went through explain: %v (%d calls)", got, calls)
	}
}
