package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/drill"
	"github.com/esdr/esdr/internal/state"
	"github.com/esdr/esdr/testbed/netfault"
)

// TestFleet walks a fleet of three esdr processes over a three-member etcd through the
// failures a single esdr cannot survive or cannot judge: a member cut off from the
// primary, a leader paused past its lease, a quorum of members cut off (failover, with
// the leader killed mid-plan), and etcd lost altogether. The steps share one fleet and
// run in order; each starts from where the previous one left it.
func TestFleet(t *testing.T) {
	p := clusters(t, "opensearch2")
	prepare(t, p)
	t.Cleanup(func() { unfence(t, p.primary) })
	// The etcd key target lives in the fleet's own etcd: its switches are counted below.
	f := startFleet(t, p, func(etcd []string) string {
		return fmt.Sprintf("act:\n  fence_timeout: 3s\n  step_attempts: 1\ntargets:\n  etcd:\n    - endpoints: %s\n      key: /esdr-e2e/active\n", yamlList(etcd))
	})
	lead := f.leader(detectBound)
	f.waitRouting("primary", 1, detectBound)
	for i, e := range f.members {
		if code := get(e.proxyURL + "/_cluster/health"); code != http.StatusOK {
			t.Fatalf("%s proxy answered %d at start", f.names[i], code)
		}
	}
	if st, _ := fleetStatus(f.members[lead]); len(st.Fleet.Members) != 3 {
		t.Fatalf("leader lists members %+v, want 3", st.Fleet.Members)
	}

	// One member cannot reach the primary while the two others can: a finding naming it,
	// never a failover.
	cut := f.others(lead)[0]
	f.paths[cut].Mode(netfault.Refuse)
	f.members[cut].waitVerdict("primary", "down", detectBound)
	f.members[lead].eventually("a partitioned-from-primary finding naming "+f.names[cut], detectBound, func() bool {
		st, ok := fleetStatus(f.members[lead])
		if !ok {
			return false
		}
		for _, fd := range st.Fleet.Findings {
			if fd.Code == decide.CodePartitionedFromPrimary && fd.Member == f.names[cut] {
				return true
			}
		}
		return false
	})
	f.members[lead].waitRounds(4, detectBound) // decision rounds with the finding in force
	f.waitRouting("primary", 1, time.Second)
	// The leader stores findings on their own ticker, apart from the decision rounds.
	f.members[lead].eventually("the finding in the event history", detectBound, func() bool {
		return countEvents(f.members[lead].events(), state.EventObserved, decide.CodePartitionedFromPrimary) > 0
	})

	// The leader is paused past its lease: another member takes over, and the paused one,
	// resumed, steps down instead of acting as a second leader.
	old := lead
	f.members[old].signal(syscall.SIGSTOP)
	resumed := false
	resume := func() {
		if !resumed {
			f.members[old].signal(syscall.SIGCONT)
			resumed = true
		}
	}
	t.Cleanup(resume)
	f.members[f.others(old)[0]].eventually("another member leading", fleetTTL+detectBound, func() bool {
		for _, j := range f.others(old) {
			if st, ok := fleetStatus(f.members[j]); ok && st.Fleet.Leading {
				lead = j
				return true
			}
		}
		return false
	})
	for _, j := range f.others(old) {
		if code := get(f.members[j].proxyURL + "/_cluster/health"); j != cut && code != http.StatusOK {
			t.Errorf("%s proxy answered %d while the old leader was paused", f.names[j], code)
		}
	}
	resume()
	f.members[old].eventually(f.names[old]+" stepping down after SIGCONT", detectBound, func() bool {
		st, ok := fleetStatus(f.members[old])
		return ok && !st.Fleet.Leading && st.Fleet.Leader == f.names[lead]
	})
	if l := f.leader(detectBound); l != lead {
		t.Fatalf("leader is %s, want %s", f.names[l], f.names[lead])
	}
	f.waitRouting("primary", 1, time.Second)

	// A quorum cannot reach the primary (the leader's own path hangs, so its fence of the
	// old primary is in flight for fence_timeout): the fleet fails over; the leader is
	// killed mid-plan and the next one completes the plan.
	f.paths[lead].Mode(netfault.Blackhole)
	if lead == cut { // the member cut off first now leads: cut a second one
		f.paths[old].Mode(netfault.Refuse)
	}
	f.members[lead].eventually("the failover plan fencing the old primary", 4*detectBound, func() bool {
		st, ok := fleetStatus(f.members[lead])
		return ok && st.Plan != nil && st.Plan.Epoch == 2 && stepStatus(st.Plan, act.StepFence) == act.StatusRunning
	})
	f.members[lead].Kill()
	next := f.leader(fleetTTL + detectBound)
	f.members[next].eventually("the plan of epoch 2 done by "+f.names[next], 4*detectBound, func() bool {
		st, ok := fleetStatus(f.members[next])
		return ok && st.Plan != nil && st.Plan.Epoch == 2 && st.Plan.Status == act.StatusDone
	})
	f.waitRouting("standby", 2, detectBound)
	switches := 0
	for _, ev := range f.members[next].events() {
		if ev.Kind == state.EventActed && strings.HasPrefix(ev.Message, "switch etcd:/esdr-e2e/active") && strings.Contains(ev.Message, ": done") {
			switches++
		}
	}
	if switches != 1 {
		t.Errorf("etcd target switched %d times across two leaders, want exactly once", switches)
	}

	// Every live proxy routes to the standby: writes through them reach only the standby.
	_, primaryBefore := requestCounts(t, p.primary)
	_, standbyBefore := requestCounts(t, p.standby)
	for _, j := range f.others(lead) {
		burst(t, f.members[j].proxyURL, 40)
	}
	_, primaryAfter := requestCounts(t, p.primary)
	_, standbyAfter := requestCounts(t, p.standby)
	if primaryAfter != primaryBefore || standbyAfter == standbyBefore {
		t.Errorf("index ops after the failover: primary %d→%d (want unchanged), standby %d→%d (want more)",
			primaryBefore, primaryAfter, standbyBefore, standbyAfter)
	}

	// etcd is lost: no member can decide, and every proxy fails closed once the staleness
	// bound has passed; etcd back, the fleet recovers without a hand on it.
	for _, g := range f.paths {
		g.Mode(netfault.Pass)
	}
	f.etcd.StopAll()
	for _, j := range f.others(lead) {
		f.members[j].eventually(f.names[j]+" proxy failing closed without etcd", fleetStaleAfter+detectBound, func() bool {
			return get(f.members[j].proxyURL+"/_cluster/health") == http.StatusServiceUnavailable
		})
	}
	f.etcd.StartAll()
	f.leader(fleetTTL + 2*detectBound)
	f.waitRouting("standby", 2, detectBound)
	for _, j := range f.others(lead) {
		if code := get(f.members[j].proxyURL + "/_cluster/health"); code != http.StatusOK {
			t.Errorf("%s proxy answered %d after etcd returned", f.names[j], code)
		}
	}
	t.Logf("fleet: leaders %s → %s → %s", f.names[old], f.names[lead], f.names[next])
}

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
