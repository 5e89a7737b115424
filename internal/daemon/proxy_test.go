package daemon

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/esdr/esdr/internal/config"
	"github.com/esdr/esdr/internal/epoch"
	"github.com/esdr/esdr/testbed/sigv4"
)

// switchable is an epoch source the test moves by hand.
type switchable struct {
	mu  sync.Mutex
	ep  epoch.Endpoint
	sig epoch.Signal
}

func (s *switchable) Endpoint(context.Context) (epoch.Endpoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ep, nil
}

func (s *switchable) EpochChanged() <-chan struct{} { return s.sig.Wait() }

func (s *switchable) set(ep epoch.Endpoint) {
	s.mu.Lock()
	s.ep = ep
	s.mu.Unlock()
	s.sig.Fire()
}

// TestTheProxySignsWithTheForwardedAWSAuth: with forward_credentials, the primary's
// proxy_auth.aws and the standby's auth.aws (forwarded, no proxy_auth) become the
// proxy's signers, and what it forwards to either passes a SigV4 verifier in front of
// it. Credentials come from the AWS environment variables, as in production; nothing
// calls AWS.
func TestTheProxySignsWithTheForwardedAWSAuth(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", sigv4.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", sigv4.SecretKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	var urls []string
	var vs []*sigv4.Verifier
	for _, name := range []string{"primary", "standby"} {
		v, err := sigv4.Start(fakeCluster(t, name).URL, "eu-west-1", "es")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(v.Close)
		urls, vs = append(urls, v.URL), append(vs, v)
	}
	yaml := `clusters:
  - {name: primary, nodes: [` + urls[0] + `], auth: {username: esdr, password: esdr-password}, proxy_auth: {aws: {region: eu-west-1}}}
  - {name: standby, nodes: [` + urls[1] + `], auth: {aws: {region: eu-west-1, service: es}}}
admin: {listen: 127.0.0.1:0, token: ` + testToken + `}
proxy: {listen: ` + freeAddr(t) + `, forward_credentials: true}
state: {path: state.db}
`
	dir := t.TempDir()
	cfg, err := config.Parse([]byte(yaml), dir, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	epochs := &switchable{ep: epoch.Endpoint{Cluster: "primary", Epoch: 1, Nodes: []string{urls[0]}}}
	p, err := newProxy(cfg, prometheus.NewRegistry(), epochs, nil, slog.New(slog.DiscardHandler), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	through := func(want string) {
		t.Helper()
		resp, err := http.Post("http://"+p.Addr().String()+"/idx/_doc", "application/json", strings.NewReader(`{"n":1}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("X-Fake-Cluster") != want {
			t.Fatalf("through the proxy: %d from %q, want 200 from %s", resp.StatusCode, resp.Header.Get("X-Fake-Cluster"), want)
		}
	}
	through("primary")
	epochs.set(epoch.Endpoint{Cluster: "standby", Epoch: 2, Nodes: []string{urls[1]}})
	through("standby")
	for i, v := range vs {
		if v.Passed.Load() != 1 || v.Refused.Load() != 0 {
			t.Errorf("verifier %d: passed %d, refused %d; want 1 and 0", i, v.Passed.Load(), v.Refused.Load())
		}
	}
}
