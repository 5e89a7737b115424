package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/internal/state"
	"github.com/esdr/esdr/testbed"
)

// grayDefaults is the configuration a new user tries: probes every second, three failures.
func grayDefaults() settings {
	s := defaults()
	s.Interval = time.Second
	return s
}

// waitCanary waits until esdr has created its canary index on the cluster and it serves.
func waitCanary(e *esdr, c *testbed.Cluster) {
	es, err := esclient.New(c.URLs(), esclient.Options{Timeout: 5 * time.Second})
	if err != nil {
		e.t.Fatal(err)
	}
	e.eventually("a canary copy on every node of "+c.Name, 3*detectBound, func() bool {
		for _, u := range c.URLs() {
			if es.CanaryOf(context.Background(), u, ".esdr-canary") != nil {
				return false
			}
		}
		return true
	})
}

// startGray starts esdr with grayDefaults on engine's pair and waits until it has the
// primary active and both clusters up.
func startGray(t *testing.T, engine string) (pair, *esdr) {
	t.Helper()
	p := clusters(t, engine)
	e := startSettled(t, p, grayDefaults())
	e.waitVerdict("primary", "up", detectBound)
	return p, e
}

// eventSummary lists the events one a line, for failure messages.
func eventSummary(evs []state.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		fmt.Fprintf(&b, "\n  %s %s %s %s", ev.At.Format("15:04:05.000"), ev.Kind, ev.Code, ev.Message)
	}
	return b.String()
}

// TestMasterHangHealsItself: only the elected master of the 3-node primary hangs, for
// longer than the cluster takes to elect another. Every node's cluster health times out
// meanwhile, yet the other two answer and serve reads: esdr waits out the election grace,
// the cluster re-elects, and nothing fails over.
func TestMasterHangHealsItself(t *testing.T) {
	for _, engine := range []string{"opensearch2", "es7"} {
		t.Run(engine, func(t *testing.T) {
			p, e := startGray(t, engine)
			waitCanary(e, p.primary)
			master := electedMaster(t, p.primary)
			if err := master.Pause(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = master.Resume() })
			e.eventually("the primary re-elects a master", 2*time.Minute, func() bool {
				return countObserved(e.events(), decide.CodeReElected) >= 1
			})
			if err := master.Resume(); err != nil {
				t.Fatal(err)
			}
			evs := e.events()
			if n := countEvents(evs, state.EventDecided, decide.CodeElectionGrace); n < 1 {
				t.Errorf("no election-grace decision while the master hung:%s", eventSummary(evs))
			}
			st := e.status()
			if st.State.Active != "primary" || st.State.Epoch != 1 {
				t.Fatalf("failed over on a master the cluster replaced by itself: %s@%d:%s", st.State.Active, st.State.Epoch, eventSummary(evs))
			}
			for _, ev := range evs {
				if ev.Code == decide.CodeReElected {
					t.Logf("%s", ev.Message)
				}
			}
		})
	}
}

// TestQuorumLossFailsOver: two of the primary's three nodes hang. The survivor would say
// green until its own fault detection gives up; esdr counts the master-eligible nodes
// that answer and fails over on the quorum loss without waiting for it.
func TestQuorumLossFailsOver(t *testing.T) {
	for _, engine := range []string{"opensearch2", "es7"} {
		t.Run(engine, func(t *testing.T) {
			p, e := startGray(t, engine)
			paused := p.primary.Nodes[:2]
			start := time.Now()
			for _, n := range paused {
				if err := n.Pause(); err != nil {
					t.Fatal(err)
				}
			}
			t.Cleanup(func() {
				for _, n := range paused {
					_ = n.Resume()
				}
			})
			e.waitActive("standby", 2, detectBound)
			evs := e.events()
			var decided *state.Event
			for i := range evs {
				if evs[i].Kind == state.EventDecided && evs[i].Code == decide.CodeActiveDown {
					decided = &evs[i]
				}
			}
			if decided == nil || !strings.Contains(decided.Message, "no_quorum") {
				t.Fatalf("failover not on the quorum loss:%s", eventSummary(evs))
			}
			// A figure for docs/benchmarks.md, measured from esdr's own event: not asserted.
			t.Logf("2 of 3 nodes hung → failover decided %s after the fault (interval 1s × threshold 3)", decided.At.Sub(start).Round(10*time.Millisecond))
		})
	}
}

func countObserved(evs []state.Event, c decide.Code) int {
	n := 0
	for _, ev := range evs {
		if ev.Kind == state.EventObserved && ev.Code == c {
			n++
		}
	}
	return n
}
