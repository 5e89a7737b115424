package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// These tests plant one bug each in an otherwise clean history and assert the checker
// reports it, with the evidence a reader needs to find it: the "planted bug is caught"
// requirement of issue #18. They start nothing.

var t0 = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)

func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

// hist builds a history in order.
type hist struct{ e []Entry }

func newHist() *hist {
	h := &hist{}
	h.add(0, Entry{Type: TypeMeta, Meta: &Meta{Seed: 1, Engine: "opensearch2", Family: "test",
		Clusters: []string{"primary", "standby"}, HoldDown: time.Hour, Bound: 20 * time.Second, Grace: 5 * time.Second}})
	h.event(0.5, Event{Kind: "decided", Code: "starting", To: "primary", Epoch: 1})
	return h
}

func (h *hist) add(s float64, e Entry) *hist {
	e.At = at(s)
	h.e = append(h.e, e)
	return h
}

func (h *hist) event(s float64, ev Event) *hist {
	ev.Seq, ev.At = uint64(len(h.e)+1), at(s)
	return h.add(s, Entry{Type: TypeEvent, Event: &ev})
}

func (h *hist) write(s float64, id, cluster string, epoch uint64) *hist {
	h.add(s-0.01, Entry{Type: TypeOp, Op: &Op{F: "write", ID: id, Phase: PhaseInvoke}})
	return h.add(s, Entry{Type: TypeOp, Op: &Op{F: "write", ID: id, Phase: PhaseOK, Cluster: cluster, Epoch: epoch, Status: 201}})
}

func (h *hist) fault(start, end float64, f Fault) *hist {
	h.add(start, Entry{Type: TypeFault, Phase: PhaseStart, Fault: &f})
	if end > 0 {
		h.add(end, Entry{Type: TypeFault, Phase: PhaseEnd, Fault: &f})
	}
	return h
}

func (h *hist) failover(s float64, from, to string, epoch uint64) *hist {
	return h.event(s, Event{Kind: "decided", Code: "no-quorum", From: from, To: to, Epoch: epoch})
}

// finish adds the final reads (each cluster holds what it acknowledged, less drop) and a
// settled final status.
func (h *hist) finish(s float64, drop ...string) []Entry {
	found := map[string][]string{}
	for _, e := range h.e {
		if e.Op != nil && e.Op.Phase == PhaseOK && !contains(drop, e.Op.ID) {
			found[e.Op.Cluster] = append(found[e.Op.Cluster], e.Op.ID)
		}
	}
	for _, c := range []string{"primary", "standby"} {
		h.add(s, Entry{Type: TypeRead, Read: &Read{Cluster: c, Found: found[c]}})
	}
	h.add(s, Entry{Type: TypeFinal, Final: &Final{Active: "primary", Epoch: 1, PlanStatus: "done"}})
	return h.e
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// quorumFault is 2 of the primary's 3 nodes killed.
var quorumFault = Fault{ID: 1, Kind: "kill", Target: "primary", Nodes: []string{"p-1", "p-2"}, QuorumLost: true}

// cleanFailover: the primary loses its quorum at 10 s, esdr fails over at 13 s.
func cleanFailover() *hist {
	return newHist().write(1, "w1", "primary", 1).write(2, "w2", "primary", 1).
		fault(10, 40, quorumFault).failover(13, "primary", "standby", 2).
		write(14, "w3", "standby", 2)
}

// wantOnly asserts that r has violations of exactly one invariant, each naming every
// piece of evidence.
func wantOnly(t *testing.T, r Result, invariant string, evidence ...string) {
	t.Helper()
	if len(r.Violations) == 0 {
		t.Fatalf("no violation reported, want %s", invariant)
	}
	for _, v := range r.Violations {
		if v.Invariant != invariant {
			t.Errorf("unexpected violation %s", v)
			continue
		}
		for _, ev := range evidence {
			if !strings.Contains(v.Evidence, ev) {
				t.Errorf("%s: evidence %q does not name %q", invariant, v.Evidence, ev)
			}
		}
	}
}

func TestCleanHistoriesPass(t *testing.T) {
	for name, h := range map[string][]Entry{
		"no fault": newHist().write(1, "w1", "primary", 1).finish(30),
		"failover": cleanFailover().finish(60),
		"master fault, no failover": newHist().write(1, "w1", "primary", 1).
			fault(5, 15, Fault{ID: 1, Kind: "stop", Target: "primary", Nodes: []string{"p-1"}}).finish(30),
	} {
		r := Check(h)
		if len(r.Violations) > 0 {
			t.Errorf("%s: %v", name, r.Violations)
		}
		if r.Acked == 0 || r.Lost != 0 || r.Unverified != 0 {
			t.Errorf("%s: acked %d lost %d unverified %d", name, r.Acked, r.Lost, r.Unverified)
		}
	}
	r := Check(cleanFailover().finish(60))
	if len(r.RTO) != 1 || r.RTO[0] != 3*time.Second || len(r.ClientRTO) != 1 || r.ClientRTO[0] != 4*time.Second {
		t.Errorf("RTO %v, client RTO %v; want [3s], [4s]", r.RTO, r.ClientRTO)
	}
}

func TestLostWriteIsCaught(t *testing.T) {
	r := Check(cleanFailover().finish(60, "w2"))
	wantOnly(t, r, LostWrite, "w2", "primary", "epoch 1")
	if r.Lost != 1 || r.Acked != 3 {
		t.Errorf("lost %d of %d acknowledged, want 1 of 3", r.Lost, r.Acked)
	}
}

func TestAWriteNotMirroredToTheFinalActiveClusterIsCaught(t *testing.T) {
	mirrored := func(drop ...string) []Entry {
		h := cleanFailover()
		h.e[0].Meta.Mirror = true
		e := h.finish(60)
		// The standby, active at the end, holds its own write and the mirrored ones.
		for i := range e {
			if rd := e[i].Read; rd != nil && rd.Cluster == "standby" {
				for _, id := range []string{"w1", "w2"} {
					if !contains(drop, id) {
						rd.Found = append(rd.Found, id)
					}
				}
			}
			if f := e[i].Final; f != nil {
				f.Active, f.Epoch = "standby", 2
			}
		}
		return e
	}
	if r := Check(mirrored()); len(r.Violations) > 0 {
		t.Fatalf("every write mirrored: %v", r.Violations)
	}
	r := Check(mirrored("w2"))
	wantOnly(t, r, LostWrite, "mirror mode", "w2", "final active cluster standby")
	if strings.Contains(fmt.Sprint(r.Violations), "w1") {
		t.Errorf("w1 was mirrored, yet named: %v", r.Violations)
	}
}

func TestSplitBrainIsCaught(t *testing.T) {
	// The standby acknowledges a write in epoch 1, whose active cluster is the primary.
	r := Check(newHist().write(1, "w1", "primary", 1).write(2, "w2", "standby", 1).finish(30))
	wantOnly(t, r, SplitBrain, "epoch 1")
	all := fmt.Sprint(r.Violations)
	for _, want := range []string{"w1", "w2", "whose active cluster esdr recorded as primary"} {
		if !strings.Contains(all, want) {
			t.Errorf("split brain evidence %s does not name %q", all, want)
		}
	}
}

func TestFalseFailoverIsCaught(t *testing.T) {
	// The elected master hung: the cluster re-elects and keeps its quorum.
	master := Fault{ID: 1, Kind: "stop", Target: "primary", Nodes: []string{"p-1"}}
	r := Check(newHist().write(1, "w1", "primary", 1).fault(10, 30, master).
		failover(12, "primary", "standby", 2).write(13, "w2", "standby", 2).finish(60))
	wantOnly(t, r, FalseFailover, "primary → standby (epoch 2", "1 stop of primary [p-1]")

	// No fault at all.
	r = Check(newHist().write(1, "w1", "primary", 1).failover(12, "primary", "standby", 2).finish(60))
	wantOnly(t, r, FalseFailover, "faults then: none")

	// Long after the quorum came back (beyond the grace) is not justified by it.
	r = Check(newHist().fault(10, 20, quorumFault).failover(40, "primary", "standby", 2).finish(60))
	wantOnly(t, r, FalseFailover, "epoch 2")
}

func TestOneMemberCutOffDoesNotJustifyAFailover(t *testing.T) {
	// In a fleet, one member's path to the primary is cut: the other two still see it,
	// so a failover is false, as after any fault that left the primary serving.
	cut := Fault{ID: 1, Kind: "partition", Target: "primary", Members: []string{"esdr-c"}}
	r := Check(newHist().write(1, "w1", "primary", 1).fault(10, 30, cut).
		failover(15, "primary", "standby", 2).write(16, "w2", "standby", 2).finish(60))
	wantOnly(t, r, FalseFailover, "primary → standby (epoch 2", "1 partition of primary")
}

func TestAKeyFollowerWritingOnAnOldEpochIsNotSplitBrain(t *testing.T) {
	// The key-following client read the key (primary, epoch 1) just before the failover
	// and its write was acknowledged by the primary after it: the epoch it names is the
	// one whose active cluster took it.
	h := cleanFailover()
	h.add(13.5, Entry{Type: TypeOp, Op: &Op{F: "write", ID: "k-0", Phase: PhaseInvoke, Via: "etcd-key"}})
	h.add(13.6, Entry{Type: TypeOp, Op: &Op{F: "write", ID: "k-0", Phase: PhaseOK, Cluster: "primary", Epoch: 1, Status: 201, Via: "etcd-key"}})
	if r := Check(h.finish(60)); len(r.Violations) > 0 {
		t.Errorf("violations: %v", r.Violations)
	}
}

func TestMissedFailoverIsCaught(t *testing.T) {
	h := newHist().write(1, "w1", "primary", 1).fault(10, 60, quorumFault).
		event(11, Event{Kind: "refused", Code: "election-grace", Cluster: "primary", Epoch: 1})
	r := Check(h.finish(70))
	wantOnly(t, r, MissedFailover, "fault 1", "p-1,p-2", "bound 20s", "failover: none", "refused election-grace")

	// Too late is missed too, and says how late.
	r = Check(newHist().fault(10, 60, quorumFault).failover(45, "primary", "standby", 2).finish(70))
	wantOnly(t, r, MissedFailover, "35s after the fault")
}

func TestMissedFailoverNotRequired(t *testing.T) {
	// Healed before the bound: not due.
	r := Check(newHist().fault(10, 15, quorumFault).finish(30))
	if len(r.Violations) > 0 {
		t.Errorf("healed within the bound: %v", r.Violations)
	}
	// esdr itself was down: noted, not a violation.
	r = Check(newHist().fault(10, 60, quorumFault).
		fault(12, 50, Fault{ID: 2, Kind: "esdr-kill", Target: "esdr"}).finish(70))
	if len(r.Violations) > 0 || len(r.Notes) == 0 || !strings.Contains(r.Notes[0], "esdr-kill") {
		t.Errorf("confounded by esdr's kill: violations %v, notes %v", r.Violations, r.Notes)
	}
}

func TestFlappingIsCaught(t *testing.T) {
	standbyQuorum := Fault{ID: 2, Kind: "stop", Target: "standby", Nodes: []string{"s-1", "s-2"}, QuorumLost: true}
	h := cleanFailover().fault(20, 50, standbyQuorum).failover(22, "standby", "primary", 3)
	wantOnly(t, Check(h.finish(60)), Flapping, "standby → primary (epoch 3", "9s after", "hold-down 1h0m0s")

	// An operator's ack between the two makes the second one sanctioned.
	h = cleanFailover().event(18, Event{Kind: "command", Code: "ack"}).fault(20, 50, standbyQuorum).
		failover(22, "standby", "primary", 3)
	if r := Check(h.finish(60)); len(r.Violations) > 0 {
		t.Errorf("acknowledged: %v", r.Violations)
	}
}

func TestStuckPlanIsCaught(t *testing.T) {
	h := cleanFailover().finish(60)
	h[len(h)-1].Final = &Final{Active: "standby", Epoch: 2, PlanEpoch: 2, PlanStatus: "running",
		PlanSteps: []string{"fence primary: done", "switch proxy: running"}}
	wantOnly(t, Check(h), StuckPlan, "epoch 2 is running", "switch proxy: running")

	h[len(h)-1].Final = &Final{Active: "standby", Epoch: 2, PlanStatus: "done", PendingFences: []string{"primary"}}
	wantOnly(t, Check(h), StuckPlan, "fence of primary still pending")
}

func TestHistoryRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.jsonl")
	rec, err := NewRecorder(path)
	if err != nil {
		t.Fatal(err)
	}
	want := cleanFailover().finish(60, "w1")
	for _, e := range want {
		rec.Add(e)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ReadHistory(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d entries, wrote %d", len(got), len(want))
	}
	if a, b := Check(got), Check(want); fmt.Sprint(a.Violations) != fmt.Sprint(b.Violations) || a.Lost != 1 {
		t.Errorf("checked after the round trip: %v, before: %v", a.Violations, b.Violations)
	}
}

// dnsWrite is a write by the DNS-following client: its path names no epoch.
func (h *hist) dnsWrite(s float64, id, cluster string) *hist {
	h.add(s-0.01, Entry{Type: TypeOp, Op: &Op{F: "write", ID: id, Phase: PhaseInvoke, Via: "dns"}})
	return h.add(s, Entry{Type: TypeOp, Op: &Op{F: "write", ID: id, Phase: PhaseOK, Via: "dns", Cluster: cluster, Status: 201}})
}

func TestDNSWritesTakeTheEpochTheRecordFollowed(t *testing.T) {
	// A stale record still naming the primary just after the failover decision (before
	// the switch step) is the primary's epoch 1, not a split brain; a write to the
	// standby once the record moved is epoch 2.
	h := cleanFailover().dnsWrite(5, "d-0", "primary").dnsWrite(13.5, "d-1", "primary").dnsWrite(15, "d-2", "standby")
	if r := Check(h.finish(60)); len(r.Violations) > 0 {
		t.Fatalf("DNS writes that followed the record: %v", r.Violations)
	}
	// A DNS write acknowledged by the standby before esdr ever made it active cannot have
	// followed esdr's record: a split brain, named.
	r := Check(newHist().write(1, "w1", "primary", 1).dnsWrite(2, "d-0", "standby").finish(30))
	wantOnly(t, r, SplitBrain, "d-0", "standby", "DNS record")
}
