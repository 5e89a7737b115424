package watch

import (
	"testing"
	"time"

	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/internal/health"
	"github.com/esdr/esdr/testbed"
)

// TestPeerChecks breaks a real 3-node cluster of each engine step by step and checks
// what the probes say (skipped under -short).
func TestPeerChecks(t *testing.T) {
	for _, engine := range testbed.EnginesUnderTest() {
		t.Run(engine, func(t *testing.T) {
			tb := testbed.StartForTest(t, testbed.Spec{Engine: engine, Cluster: "watch-" + engine, Nodes: 3})
			c, err := esclient.New(tb.URLs(), esclient.Options{Timeout: 2 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.CloseIdleConnections)
			spec := DefaultClusterSpec
			spec.MinNodes = 2
			cluster, err := NewClusterCheck(c, spec)
			if err != nil {
				t.Fatal(err)
			}
			seed, _ := NewHTTPCheck(tb.URLs(), HTTPSpec{Path: "/_cluster/health", Match: `"status":"green"`})
			pretty, _ := NewHTTPCheck(tb.URLs(), HTTPSpec{Path: "/_cluster/health?pretty", Match: `"status":"green"`})

			if r := probeOnce(cluster, 5*time.Second); r.Kind != health.KindHealthy {
				t.Fatalf("formed: %+v", r)
			}
			// The cluster check's first probe creates the canary index, so the cluster is
			// yellow until its copies are allocated: the seed's match waits for green.
			eventually(t, seed, func(r Result) bool { return r.Kind == health.KindHealthy })
			if r := probeOnce(pretty, 5*time.Second); r.Kind != health.KindRed {
				t.Errorf("seed match on ?pretty body must fail, as on Route 53: %+v", r)
			}

			// The first node in the list dies: the cluster still answers through the others.
			if err := tb.Nodes[0].Kill(); err != nil {
				t.Fatal(err)
			}
			if r := eventually(t, cluster, func(r Result) bool { return r.Kind.Passing() }); r.Node == tb.Nodes[0].URL() {
				t.Errorf("answered by the dead node: %+v", r)
			}

			// The rest hang (paused JVMs), then die.
			for _, n := range tb.Nodes[1:] {
				if err := n.Pause(); err != nil {
					t.Fatal(err)
				}
			}
			if r := probeOnce(cluster, 3*time.Second); r.Kind != health.KindTimeout {
				t.Errorf("paused: %+v", r)
			}
			if err := tb.Kill(); err != nil {
				t.Fatal(err)
			}
			if r := probeOnce(cluster, 3*time.Second); r.Kind != health.KindUnreachable {
				t.Errorf("killed: %+v", r)
			}
		})
	}
}

// eventually probes until ok holds, for at most a minute (a hang guard for cluster
// re-election, not a timing assertion), and returns the last result.
func eventually(t *testing.T, check Check, ok func(Result) bool) Result {
	t.Helper()
	var r Result
	for end := time.Now().Add(time.Minute); time.Now().Before(end); time.Sleep(500 * time.Millisecond) {
		if r = probeOnce(check, 5*time.Second); ok(r) {
			return r
		}
	}
	t.Fatalf("condition never held; last %+v", r)
	return r
}
