package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/config"
	"github.com/esdr/esdr/testbed/peers"
)

const testToken = "0123456789abcdef0123"

// fakeCluster answers every request 200 and names itself, enough for an http check, the
// fence's settings calls and a request through the proxy.
func fakeCluster(t *testing.T, name string) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Fake-Cluster", name)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"acknowledged":true}`)
	}))
	t.Cleanup(s.Close)
	return s
}

// TestOneAssemblyRunsAloneAndInAFleet: the embedded default and a fleet member are built
// and run by the same New and Run. Each takes its first decision on the primary, answers
// esdr status, routes its proxy by the stored epoch, and follows a failover.
func TestOneAssemblyRunsAloneAndInAFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a real etcd; skipped under -short")
	}
	etcd := peers.Etcd(t)
	for _, mode := range []struct{ name, block string }{
		{"a fleet of one", "state:\n  path: state.db # %s\n"},
		{"a fleet member", "fleet:\n  name: m1\n  vantage: z1\n  quorum: 1\n  session_ttl: 2s\n  etcd:\n    endpoints: [" + etcd + "]\n    prefix: /esdr/daemon-test/%s/\n"},
	} {
		t.Run(mode.name, func(t *testing.T) {
			dir := t.TempDir()
			primary, standby := fakeCluster(t, "primary"), fakeCluster(t, "standby")
			yaml := `clusters:
  - {name: primary, nodes: [` + primary.URL + `]}
  - {name: standby, nodes: [` + standby.URL + `]}
health:
  interval: 200ms
  timeout: 200ms
  checks: [{kind: http, path: /}]
admin: {listen: 127.0.0.1:0, token: ` + testToken + `}
proxy: {listen: ` + freeAddr(t) + `}
` + fmt.Sprintf(mode.block, filepath.Base(dir))
			d, c := runDaemon(t, yaml, dir)
			ctx := context.Background()
			waitFor(t, "the first decision, on the primary", func() bool {
				st, err := c.Status(ctx)
				return err == nil && st.State.Active == "primary" && st.State.Epoch == 1
			})
			routedTo := func(want string) func() bool {
				return func() bool {
					resp, err := http.Get("http://" + d.proxy.Addr().String() + "/_search")
					if err != nil {
						return false
					}
					resp.Body.Close()
					return resp.StatusCode == 200 && resp.Header.Get("X-Fake-Cluster") == want
				}
			}
			waitFor(t, "the proxy routing to the primary", routedTo("primary"))
			primary.Close()
			waitFor(t, "a failover to the standby", func() bool {
				st, err := c.Status(ctx)
				return err == nil && st.State.Active == "standby" && st.State.Epoch == 2
			})
			waitFor(t, "the proxy routing to the standby", routedTo("standby"))
		})
	}
}

// runDaemon parses yaml (paths relative to dir), builds esdr with New and runs it until
// the test ends, when Run must return nil; it returns the daemon and an admin client.
func runDaemon(t *testing.T, yaml, dir string) (*Daemon, *admin.Client) {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml), dir, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		d.Close()
	})
	c, err := admin.NewClient("http://"+d.AdminAddr(), testToken, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return d, c
}

// freeAddr is a loopback address nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
