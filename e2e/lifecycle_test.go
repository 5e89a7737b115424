package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/internal/state"
	"github.com/esdr/esdr/testbed"
)

// Bounds on waits. They keep a broken build from hanging CI; they are not timings.
const (
	detectBound  = 20 * time.Second
	recoverBound = 3 * time.Minute
)

// nonMaster returns a primary node that is not the elected master. Killing the master
// leaves the cluster leaderless for the fault-detection time, a different scenario.
func nonMaster(t *testing.T, c *testbed.Cluster) *testbed.Node {
	t.Helper()
	return nodeWhere(t, c, false)
}

// electedMaster returns the cluster's node that is the elected master.
func electedMaster(t *testing.T, c *testbed.Cluster) *testbed.Node {
	t.Helper()
	return nodeWhere(t, c, true)
}

// nodeWhere returns a node of c that is (master) or is not the elected master.
func nodeWhere(t *testing.T, c *testbed.Cluster, master bool) *testbed.Node {
	t.Helper()
	es, err := esclient.New(c.URLs(), esclient.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := es.NodesInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.ElectedMaster == master {
			if tn := c.Node(n.Name); tn != nil {
				return tn
			}
		}
	}
	t.Fatalf("no node with elected master = %v in %+v", master, nodes)
	return nil
}

func restartCluster(t *testing.T, c *testbed.Cluster) {
	t.Helper()
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), recoverBound)
	defer cancel()
	if err := c.WaitFormed(ctx, len(c.Nodes)); err != nil {
		t.Fatal(err)
	}
}

func countEvents(evs []state.Event, kind state.EventKind, code decide.Code) int {
	n := 0
	for _, e := range evs {
		if e.Kind == kind && e.Code == code {
			n++
		}
	}
	return n
}

// TestLifecycle walks one esdr through the life of a deployment on OpenSearch 2: a node
// lost, the whole primary lost, esdr itself crashing, the primary returning under manual
// failback, an operator switching back, and maintenance mode.
func TestLifecycle(t *testing.T) {
	p := clusters(t, "opensearch2")
	e := startEsdr(t, p, defaults())
	e.waitVerdict("primary", "up", detectBound)
	e.waitVerdict("standby", "up", detectBound)
	e.waitActive("primary", 1, detectBound)

	t.Run("mutating calls need the token", func(t *testing.T) {
		for _, path := range []string{"/v1/switchover", "/v1/pause", "/v1/resume", "/v1/ack"} {
			resp, err := http.Post("http://"+e.Addr+path, "application/json", strings.NewReader(`{"to":"standby"}`))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("POST %s without token: %d, want 401", path, resp.StatusCode)
			}
		}
	})

	t.Run("one of three primary nodes killed: no failover", func(t *testing.T) {
		victim := nonMaster(t, p.primary)
		if err := victim.Kill(); err != nil {
			t.Fatal(err)
		}
		// esdr probes the primary many more times than its failure threshold needs, then
		// decides on what it saw: evidence that it looked, not a sleep.
		e.waitProbes("primary", 3*defaults().Threshold, detectBound)
		e.waitRounds(2, detectBound)
		st := e.status()
		if st.State.Active != "primary" || st.State.Epoch != 1 {
			t.Fatalf("after losing one node: active %s@%d, want primary@1", st.State.Active, st.State.Epoch)
		}
		if v := st.Clusters[0].Observation.Verdict; v != "up" {
			t.Fatalf("primary verdict %s with two of three nodes, want up", v)
		}
		restartCluster(t, p.primary)
	})

	t.Run("every primary node killed: failover to the standby", func(t *testing.T) {
		if err := p.primary.Kill(); err != nil {
			t.Fatal(err)
		}
		e.waitActive("standby", 2, detectBound)
		evs := e.events()
		if n := countEvents(evs, state.EventDecided, decide.CodeActiveDown); n != 1 {
			t.Fatalf("%d failover events, want 1: %+v", n, evs)
		}
		for _, ev := range evs {
			if ev.Code == decide.CodeActiveDown && (ev.From != "primary" || ev.To != "standby" || ev.Epoch != 2 || ev.Message == "") {
				t.Fatalf("failover event %+v", ev)
			}
		}
		if v, ok := e.metric(`esdr_failovers_total{reason="active-down"}`); !ok || v != 1 {
			t.Fatalf("esdr_failovers_total = %v (found %v), want 1", v, ok)
		}
		if v, _ := e.metric("esdr_epoch"); v != 2 {
			t.Fatalf("esdr_epoch = %v, want 2", v)
		}
	})

	t.Run("esdr killed -9 and restarted keeps the active cluster and epoch", func(t *testing.T) {
		e.Kill()
		e.StartT(t)
		st := e.status()
		if st.State.Active != "standby" || st.State.Epoch != 2 {
			t.Fatalf("after restart: %s@%d, want standby@2", st.State.Active, st.State.Epoch)
		}
	})

	t.Run("primary back under manual failback: stays on standby until switchover", func(t *testing.T) {
		restartCluster(t, p.primary)
		e.waitVerdict("primary", "up", detectBound)
		e.eventually("failback-ready", detectBound, func() bool {
			return e.status().LastDecision.Code == decide.CodeFailbackReady
		})
		if st := e.status(); st.State.Active != "standby" || st.State.Epoch != 2 {
			t.Fatalf("manual failback moved traffic: %s@%d", st.State.Active, st.State.Epoch)
		}
		out, code := e.cli("switchover", "--to", "primary")
		if code != 0 {
			t.Fatalf("esdr switchover: exit %d: %s", code, out)
		}
		e.waitActive("primary", 3, detectBound)
	})

	t.Run("paused esdr does not act; resumed esdr does", func(t *testing.T) {
		if out, code := e.cli("pause"); code != 0 {
			t.Fatalf("esdr pause: exit %d: %s", code, out)
		}
		if err := p.primary.Kill(); err != nil {
			t.Fatal(err)
		}
		e.waitVerdict("primary", "down", detectBound)
		e.waitRounds(3, detectBound) // rounds that saw the primary down, and did not act
		if st := e.status(); st.State.Active != "primary" || st.State.Epoch != 3 || st.LastDecision.Code != decide.CodePaused {
			t.Fatalf("paused esdr: %s@%d, last %s", st.State.Active, st.State.Epoch, st.LastDecision.Code)
		}
		if out, code := e.cli("resume"); code != 0 {
			t.Fatalf("esdr resume: exit %d: %s", code, out)
		}
		e.waitActive("standby", 4, detectBound)
	})
}
