package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/testbed/netfault"
	"github.com/esdr/esdr/testbed/peers"
	"github.com/esdr/esdr/testbed/poll"
)

// Fleet timings: short enough for a test, in the same proportions as production's.
const (
	fleetTTL        = 3 * time.Second // session TTL: how long a dead leader holds on
	fleetStaleAfter = 3 * time.Second // how long a proxy routes without etcd
)

// fleet is three esdr processes over a three-member etcd, each reaching the primary
// through its own forwarders, so one member's path can be cut.
type fleet struct {
	t       *testing.T
	etcd    *peers.EtcdCluster
	members []*esdr
	paths   []netfault.Group // each member's path to the primary's nodes
	names   []string
}

// startFleet starts the etcd cluster and three members named esdr-a, -b, -c in zones
// a, b, c, with quorum 2 and a proxy each. extra, given the etcd endpoints, is appended
// to every member's config.
func startFleet(t *testing.T, p pair, extra func(etcd []string) string) *fleet {
	t.Helper()
	f := &fleet{t: t, etcd: peers.StartEtcdCluster(t, 3)}
	prefix := "/esdr/" + strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()) + "/"
	for _, zone := range []string{"a", "b", "c"} {
		g, err := netfault.ForwardAll(p.primary.URLs())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = g.Close() })
		s := defaults()
		s.proxy, s.primaryNodes = true, g.URLs()
		s.extra = extra(f.etcd.Endpoints()) + fmt.Sprintf(`fleet:
  name: esdr-%s
  vantage: zone-%s
  etcd:
    endpoints: %s
    prefix: %s
  session_ttl: %s
  quorum: 2
  stale_after: %s
`, zone, zone, yamlList(f.etcd.Endpoints()), prefix, fleetTTL, fleetStaleAfter)
		f.members = append(f.members, startEsdr(t, p, s))
		f.paths = append(f.paths, g)
		f.names = append(f.names, "esdr-"+zone)
	}
	return f
}

// fleetStatus is a member's status, or false when it does not answer.
func fleetStatus(e *esdr) (admin.Status, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := e.Client.Status(ctx)
	return st, err == nil && st.Fleet != nil
}

// leader waits until exactly one live member says it leads, and returns its index.
func (f *fleet) leader(within time.Duration) int {
	f.t.Helper()
	idx := -1
	// Not a member's own wait: member 0 may be the one a test killed.
	poll.Eventually(f.t, "exactly one leader", within, func() bool {
		idx = -1
		for i, e := range f.members {
			if e.Exited() {
				continue
			}
			if st, ok := fleetStatus(e); ok && st.Fleet.Leading {
				if idx >= 0 {
					return false
				}
				idx = i
			}
		}
		return idx >= 0
	})
	return idx
}

// waitRouting waits until every live member's proxy endpoint is cluster at epoch.
func (f *fleet) waitRouting(cluster string, epoch uint64, within time.Duration) {
	f.t.Helper()
	for i, e := range f.members {
		if e.Exited() {
			continue
		}
		e.eventually(fmt.Sprintf("%s routing to %s at epoch %d", f.names[i], cluster, epoch), within, func() bool {
			ep, err := e.Client.Endpoint(context.Background())
			return err == nil && ep.Cluster == cluster && ep.Epoch == epoch
		})
	}
}

// get sends one GET through a member's proxy and returns the status code (0 when the
// request failed at the transport).
func get(url string) int {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// signal sends sig to a member's process.
func (e *esdr) signal(sig syscall.Signal) {
	e.t.Helper()
	if err := e.Signal(sig); err != nil {
		e.t.Fatalf("signal %v: %v", sig, err)
	}
}

// others are the indexes of the live members other than i.
func (f *fleet) others(i int) []int {
	var out []int
	for j, e := range f.members {
		if j != i && !e.Exited() {
			out = append(out, j)
		}
	}
	return out
}

// bind points the fleet's and its members' waits at t, the subtest now running, so that
// a failed wait ends that subtest rather than its parent from the wrong goroutine.
func (f *fleet) bind(t *testing.T) {
	f.t = t
	for _, e := range f.members {
		e.t = t
	}
}
