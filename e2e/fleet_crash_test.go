package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/drill"
	"github.com/esdr/esdr/internal/state"
)

// TestFleetPrimaryCrash kills every primary node under load through all three members'
// proxies: exactly one failover, every proxy on the standby at the same epoch, no failed
// read, and neither cluster ever taking writes through esdr while the other is active.
func TestFleetPrimaryCrash(t *testing.T) {
	p := clusters(t, "opensearch2")
	prepare(t, p)
	f := startFleet(t, p, func([]string) string { return "" })
	f.leader(detectBound)
	f.waitRouting("primary", 1, detectBound)

	_, standbyBefore := requestCounts(t, p.standby)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	results := make(chan []drill.Sample, len(f.members))
	for _, e := range f.members {
		go func() {
			results <- drill.Load{URL: e.proxyURL, Index: drillIndex, Workers: 2, Every: 10 * time.Millisecond, WriteEvery: 3}.Run(ctx)
		}()
	}
	waitExecuted(t, p.primary, 50, detectBound) // the load writes through the proxies
	if _, idx := requestCounts(t, p.standby); idx != standbyBefore {
		t.Fatalf("standby executed %d index ops while the primary was active", idx-standbyBefore)
	}
	faultAt := time.Now()
	if err := p.primary.Kill(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { restartCluster(t, p.primary) })
	f.waitRouting("standby", 2, fleetTTL+detectBound)
	waitExecuted(t, p.standby, 50, detectBound) // the load goes on, on the standby
	cancel()
	for i := range f.members {
		samples := <-results
		sum := drill.Summarize(samples, faultAt)
		t.Logf("through a member's proxy: %+v", sum)
		if sum.FailedReads != 0 {
			t.Errorf("member %d: %d of %d reads failed", i, sum.FailedReads, sum.Reads)
		}
		if sum.Before != "primary" || sum.After != "standby" {
			t.Errorf("member %d: served by %q then %q, want primary then standby", i, sum.Before, sum.After)
		}
	}
	lead := f.leader(detectBound)
	if n := countEvents(f.members[lead].events(), state.EventDecided, decide.CodeActiveDown); n != 1 {
		t.Errorf("%d failovers decided, want exactly 1", n)
	}
}
