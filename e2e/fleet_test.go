package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/state"
	"github.com/esdr/esdr/testbed/netfault"
)

// TestFleet walks a fleet of three esdr processes over a three-member etcd through the
// failures a single esdr cannot survive or cannot judge, one subtest each. They share one
// fleet and run in order, each from where the previous one left it, so the first that
// fails ends the walk.
func TestFleet(t *testing.T) {
	p := clusters(t, "opensearch2")
	prepare(t, p)
	t.Cleanup(func() { unfence(t, p.primary) })
	// The etcd key target lives in the fleet's own etcd: its switches are counted below.
	f := startFleet(t, p, func(etcd []string) string {
		return fmt.Sprintf("act:\n  fence_timeout: 3s\n  step_attempts: 1\ntargets:\n  etcd:\n    - endpoints: %s\n      key: /esdr-e2e/active\n", yamlList(etcd))
	})
	w := &fleetWalk{p: p, f: f}
	steps := []struct {
		name string
		run  func(*testing.T)
	}{
		{"every member routes to the primary", w.start},
		{"a member cut off from the primary: a finding, never a failover", w.memberCut},
		{"a leader paused past its lease is replaced and steps down", w.leaderPaused},
		{"a quorum cut off: failover, completed after the leader dies mid-plan", w.quorumCut},
		{"every live proxy writes to the standby only", w.proxiesFollow},
		{"etcd lost: proxies fail closed, and recover with it", w.etcdLost},
	}
	for _, s := range steps {
		if !t.Run(s.name, func(t *testing.T) { f.bind(t); s.run(t) }) {
			return
		}
	}
	t.Logf("fleet: leaders %s → %s → %s", f.names[w.old], f.names[w.lead], f.names[w.next])
}

// fleetWalk is what TestFleet's steps hand on to each other: the fleet, and which member
// leads, was cut off first, led before the pause, and led after the kill.
type fleetWalk struct {
	p                    pair
	f                    *fleet
	lead, cut, old, next int
}

// start: a leader, every proxy on the primary, the leader seeing all three members.
func (w *fleetWalk) start(t *testing.T) {
	f := w.f
	w.lead = f.leader(detectBound)
	f.waitRouting("primary", 1, detectBound)
	for i, e := range f.members {
		if code := get(e.proxyURL + "/_cluster/health"); code != http.StatusOK {
			t.Fatalf("%s proxy answered %d at start", f.names[i], code)
		}
	}
	if st, _ := fleetStatus(f.members[w.lead]); len(st.Fleet.Members) != 3 {
		t.Fatalf("leader lists members %+v, want 3", st.Fleet.Members)
	}
}

// memberCut: one member cannot reach the primary while the two others can.
func (w *fleetWalk) memberCut(t *testing.T) {
	f, lead := w.f, w.f.members[w.lead]
	w.cut = f.others(w.lead)[0]
	f.paths[w.cut].Mode(netfault.Refuse)
	f.members[w.cut].waitVerdict("primary", "down", detectBound)
	lead.eventually("a partitioned-from-primary finding naming "+f.names[w.cut], detectBound, func() bool {
		st, ok := fleetStatus(lead)
		if !ok {
			return false
		}
		for _, fd := range st.Fleet.Findings {
			if fd.Code == decide.CodePartitionedFromPrimary && fd.Member == f.names[w.cut] {
				return true
			}
		}
		return false
	})
	lead.waitRounds(4, detectBound) // decision rounds with the finding in force
	f.waitRouting("primary", 1, time.Second)
	// The leader stores findings on their own ticker, apart from the decision rounds.
	lead.eventually("the finding in the event history", detectBound, func() bool {
		return countEvents(lead.events(), state.EventObserved, decide.CodePartitionedFromPrimary) > 0
	})
}

// leaderPaused: the leader is paused past its lease; another member takes over, and the
// paused one, resumed, steps down instead of acting as a second leader.
func (w *fleetWalk) leaderPaused(t *testing.T) {
	f := w.f
	w.old = w.lead
	f.members[w.old].signal(syscall.SIGSTOP)
	resumed := false
	resume := func() {
		if !resumed {
			f.members[w.old].signal(syscall.SIGCONT)
			resumed = true
		}
	}
	t.Cleanup(resume)
	f.members[f.others(w.old)[0]].eventually("another member leading", fleetTTL+detectBound, func() bool {
		for _, j := range f.others(w.old) {
			if st, ok := fleetStatus(f.members[j]); ok && st.Fleet.Leading {
				w.lead = j
				return true
			}
		}
		return false
	})
	for _, j := range f.others(w.old) {
		if code := get(f.members[j].proxyURL + "/_cluster/health"); j != w.cut && code != http.StatusOK {
			t.Errorf("%s proxy answered %d while the old leader was paused", f.names[j], code)
		}
	}
	resume()
	f.members[w.old].eventually(f.names[w.old]+" stepping down after SIGCONT", detectBound, func() bool {
		st, ok := fleetStatus(f.members[w.old])
		return ok && !st.Fleet.Leading && st.Fleet.Leader == f.names[w.lead]
	})
	if l := f.leader(detectBound); l != w.lead {
		t.Fatalf("leader is %s, want %s", f.names[l], f.names[w.lead])
	}
	f.waitRouting("primary", 1, time.Second)
}

// quorumCut: a quorum cannot reach the primary (the leader's own path hangs, so its
// fence of the old primary is in flight for fence_timeout): the fleet fails over; the
// leader is killed mid-plan and the next one completes the plan.
func (w *fleetWalk) quorumCut(t *testing.T) {
	f := w.f
	f.paths[w.lead].Mode(netfault.Blackhole)
	if w.lead == w.cut { // the member cut off first now leads: cut a second one
		f.paths[w.old].Mode(netfault.Refuse)
	}
	f.members[w.lead].eventually("the failover plan fencing the old primary", 4*detectBound, func() bool {
		st, ok := fleetStatus(f.members[w.lead])
		return ok && st.Plan != nil && st.Plan.Epoch == 2 && stepStatus(st.Plan, act.StepFence) == act.StatusRunning
	})
	f.members[w.lead].Kill()
	w.next = f.leader(fleetTTL + detectBound)
	next := f.members[w.next]
	next.eventually("the plan of epoch 2 done by "+f.names[w.next], 4*detectBound, func() bool {
		st, ok := fleetStatus(next)
		return ok && st.Plan != nil && st.Plan.Epoch == 2 && st.Plan.Status == act.StatusDone
	})
	f.waitRouting("standby", 2, detectBound)
	switches := 0
	for _, ev := range next.events() {
		if ev.Kind == state.EventActed && strings.HasPrefix(ev.Message, "switch etcd:/esdr-e2e/active") && strings.Contains(ev.Message, ": done") {
			switches++
		}
	}
	if switches != 1 {
		t.Errorf("etcd target switched %d times across two leaders, want exactly once", switches)
	}
}

// proxiesFollow: writes through every live proxy reach the standby, none the primary.
func (w *fleetWalk) proxiesFollow(t *testing.T) {
	_, primaryBefore := requestCounts(t, w.p.primary)
	_, standbyBefore := requestCounts(t, w.p.standby)
	for _, j := range w.f.others(w.lead) {
		burst(t, w.f.members[j].proxyURL, 40)
	}
	_, primaryAfter := requestCounts(t, w.p.primary)
	_, standbyAfter := requestCounts(t, w.p.standby)
	if primaryAfter != primaryBefore || standbyAfter == standbyBefore {
		t.Errorf("index ops after the failover: primary %d→%d (want unchanged), standby %d→%d (want more)",
			primaryBefore, primaryAfter, standbyBefore, standbyAfter)
	}
}

// etcdLost: no member can decide, and every proxy fails closed once the staleness bound
// has passed; etcd back, the fleet recovers without a hand on it.
func (w *fleetWalk) etcdLost(t *testing.T) {
	f := w.f
	for _, g := range f.paths {
		g.Mode(netfault.Pass)
	}
	f.etcd.StopAll()
	for _, j := range f.others(w.lead) {
		f.members[j].eventually(f.names[j]+" proxy failing closed without etcd", fleetStaleAfter+detectBound, func() bool {
			return get(f.members[j].proxyURL+"/_cluster/health") == http.StatusServiceUnavailable
		})
	}
	f.etcd.StartAll()
	f.leader(fleetTTL + 2*detectBound)
	f.waitRouting("standby", 2, detectBound)
	for _, j := range f.others(w.lead) {
		if code := get(f.members[j].proxyURL + "/_cluster/health"); code != http.StatusOK {
			t.Errorf("%s proxy answered %d after etcd returned", f.names[j], code)
		}
	}
}
