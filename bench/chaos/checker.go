package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// The invariants the checker judges a history by (issue #18).
const (
	SplitBrain     = "split-brain"     // two clusters acknowledged writes in one epoch
	LostWrite      = "lost-write"      // an acknowledged write is not on the cluster that acknowledged it
	FalseFailover  = "false-failover"  // a failover while the active cluster's quorum and esdr's view of it stayed up
	MissedFailover = "missed-failover" // the active cluster lost its quorum and no failover came within the bound
	Flapping       = "flapping"        // a transition inside the hold-down without an operator
	StuckPlan      = "stuck-plan"      // a plan (or a deferred fence) unfinished after healing
)

// Invariants lists them in the report's order.
var Invariants = []string{SplitBrain, LostWrite, FalseFailover, MissedFailover, Flapping, StuckPlan}

// Violation is one broken invariant with the entries that show it.
type Violation struct {
	Invariant string
	At        time.Time
	Evidence  string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s at %s: %s", v.Invariant, v.At.UTC().Format("15:04:05.000"), v.Evidence)
}

// Result is what the checker found in one history.
type Result struct {
	Violations []Violation
	// Acked writes were answered 2xx, through the proxy or by a node to a following
	// client; Lost of them are missing from the cluster that acknowledged them; Unverified
	// could not be looked for (the final read of that cluster failed, or the answer named
	// no cluster).
	Acked, Lost, Unverified int
	Transitions             []Transition
	// RTO is, per fault that required a failover and got one, the time from the fault to
	// esdr's transition event; ClientRTO the time to the first write acknowledged by
	// another cluster.
	RTO, ClientRTO []time.Duration
	// Notes say what the checker could not judge and why (a missed failover not required
	// because another fault confounded it, ...).
	Notes []string
}

// Count returns the number of violations of one invariant.
func (r Result) Count(invariant string) int {
	n := 0
	for _, v := range r.Violations {
		if v.Invariant == invariant {
			n++
		}
	}
	return n
}

// Transition is a change of the active cluster, from esdr's events.
type Transition struct {
	At       time.Time
	From, To string
	Epoch    uint64
	Code     string
	Reason   string // esdr's own words for the decision: what it saw
}

func (t Transition) String() string {
	return fmt.Sprintf("%s → %s (epoch %d, %s) at %s", t.From, t.To, t.Epoch, t.Code, t.At.UTC().Format("15:04:05.000"))
}

// span is a fault from its start to its end (zero: never healed in the history).
type span struct {
	Fault
	Start, End time.Time
}

// view is a history sorted into what the invariants read.
type view struct {
	meta        Meta
	writes      []Op // ok writes, in answer order
	writeAt     map[string]time.Time
	transitions []Transition
	commands    []time.Time
	epochActive map[uint64]string
	events      []Event
	faults      []span
	reads       map[string]Read
	final       *Final
}

// Check judges a history. It is pure: the same history always gives the same result.
func Check(h []Entry) Result {
	v := sortHistory(h)
	var r Result
	r.Transitions = v.transitions
	v.checkWrites(&r)
	v.checkFailovers(&r)
	v.checkFlapping(&r)
	v.checkPlan(&r)
	sort.SliceStable(r.Violations, func(i, j int) bool { return r.Violations[i].At.Before(r.Violations[j].At) })
	return r
}

func sortHistory(h []Entry) view {
	v := view{writeAt: map[string]time.Time{}, epochActive: map[uint64]string{}, reads: map[string]Read{}}
	open := map[int]int{} // fault id → index in v.faults
	invokedAt := map[string]time.Time{}
	for _, e := range h {
		switch {
		case e.Type == TypeMeta && e.Meta != nil:
			v.meta = *e.Meta
		case e.Type == TypeOp && e.Op != nil && e.Op.F == "write" && e.Op.Phase == PhaseInvoke:
			invokedAt[e.Op.ID] = e.At
		case e.Type == TypeOp && e.Op != nil && e.Op.F == "write" && e.Op.Phase == PhaseOK:
			v.writes = append(v.writes, *e.Op)
			v.writeAt[e.Op.ID] = e.At
		case e.Type == TypeEvent && e.Event != nil:
			v.events = append(v.events, *e.Event)
		case e.Type == TypeFault && e.Fault != nil && e.Phase == PhaseStart:
			open[e.Fault.ID] = len(v.faults)
			v.faults = append(v.faults, span{Fault: *e.Fault, Start: e.At})
		case e.Type == TypeFault && e.Fault != nil && e.Phase == PhaseEnd:
			if i, ok := open[e.Fault.ID]; ok {
				v.faults[i].End = e.At
			}
		case e.Type == TypeRead && e.Read != nil:
			v.reads[e.Read.Cluster] = *e.Read
		case e.Type == TypeFinal && e.Final != nil:
			f := *e.Final
			v.final = &f
		}
	}
	sort.SliceStable(v.events, func(i, j int) bool { return v.events[i].Seq < v.events[j].Seq })
	for _, ev := range v.events {
		switch {
		case ev.Kind == "command":
			v.commands = append(v.commands, ev.At)
		case ev.Kind == "decided" && ev.To != "":
			v.epochActive[ev.Epoch] = ev.To
			// esdr's first choice of its active cluster is not a move.
			if ev.Code != "starting" && ev.Code != "bootstrap" && ev.From != ev.To {
				v.transitions = append(v.transitions, Transition{At: ev.At, From: ev.From, To: ev.To, Epoch: ev.Epoch, Code: ev.Code, Reason: ev.Message})
			}
		}
	}
	v.epochsOfFollowers(invokedAt)
	return v
}

// epochsOfFollowers gives a write whose path named no epoch (a DNS record carries none)
// the epoch of esdr's last decision, before the client looked it up, that made the
// cluster it wrote to active: the epoch the record was following. A stale record naming
// the old active cluster keeps that cluster's epoch, as a stale etcd key read would.
func (v *view) epochsOfFollowers(invokedAt map[string]time.Time) {
	for i, w := range v.writes {
		if w.Epoch != 0 || w.Via != "dns" || w.Cluster == "" {
			continue
		}
		at := invokedAt[w.ID]
		for _, ev := range v.events {
			if ev.Kind == "decided" && ev.To == w.Cluster && !ev.At.After(at) {
				v.writes[i].Epoch = ev.Epoch
			}
		}
	}
}

// checkWrites: no two clusters acknowledge writes in one epoch, each acknowledgement
// comes from the epoch's active cluster as esdr recorded it, and every acknowledged write
// is on the cluster that acknowledged it.
func (v view) checkWrites(r *Result) {
	first := map[uint64]map[string]Op{} // epoch → cluster → first write it acknowledged
	found := map[string]map[string]bool{}
	lost, lostAt, order := map[lostKey][]string{}, map[lostKey]time.Time{}, []lostKey(nil)
	for c, rd := range v.reads {
		if rd.Err == "" {
			found[c] = map[string]bool{}
			for _, id := range rd.Found {
				found[c][id] = true
			}
		}
	}
	for _, w := range v.writes {
		r.Acked++
		at := v.writeAt[w.ID]
		if w.Cluster == "" {
			r.Unverified++
			continue
		}
		if w.Epoch == 0 && w.Via == "dns" {
			r.Violations = append(r.Violations, Violation{SplitBrain, at, fmt.Sprintf(
				"write %s acknowledged by %s through the DNS record, which esdr had not made active when the client looked it up", w.ID, w.Cluster)})
		}
		if first[w.Epoch] == nil {
			first[w.Epoch] = map[string]Op{}
		}
		if _, seen := first[w.Epoch][w.Cluster]; !seen {
			first[w.Epoch][w.Cluster] = w
			for c, o := range first[w.Epoch] {
				if c != w.Cluster {
					r.Violations = append(r.Violations, Violation{SplitBrain, at, fmt.Sprintf(
						"epoch %d: write %s acknowledged by %s and write %s by %s", w.Epoch, o.ID, c, w.ID, w.Cluster)})
				}
			}
			if a, ok := v.epochActive[w.Epoch]; ok && a != w.Cluster {
				r.Violations = append(r.Violations, Violation{SplitBrain, at, fmt.Sprintf(
					"write %s acknowledged by %s in epoch %d, whose active cluster esdr recorded as %s", w.ID, w.Cluster, w.Epoch, a)})
			}
		}
		have, ok := found[w.Cluster]
		switch {
		case !ok:
			r.Unverified++
		case !have[w.ID]:
			r.Lost++
			k := lostKey{w.Cluster, w.Epoch}
			if _, ok := lost[k]; !ok {
				lostAt[k] = at
				order = append(order, k)
			}
			lost[k] = append(lost[k], w.ID)
		}
	}
	// One violation per cluster and epoch, naming the first ids: a lost epoch is one bug.
	for _, k := range order {
		ids := lost[k]
		r.Violations = append(r.Violations, Violation{LostWrite, lostAt[k], fmt.Sprintf(
			"%d write(s) acknowledged by %s in epoch %d are not on %s after healing: %s",
			len(ids), k.cluster, k.epoch, k.cluster, firstIDs(ids, 5))})
	}
	v.checkMirrored(r, found)
	for c, rd := range v.reads {
		if rd.Err != "" {
			r.Notes = append(r.Notes, fmt.Sprintf("final read of %s failed: %s", c, rd.Err))
		}
	}
	slices.Sort(r.Notes)
}

type lostKey struct {
	cluster string
	epoch   uint64
}

// firstIDs lists up to n ids, and how many more there are.
func firstIDs(ids []string, n int) string {
	if len(ids) <= n {
		return strings.Join(ids, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ids[:n], ", "), len(ids)-n)
}

// checkMirrored: in mirror mode, every write acknowledged by another cluster is also on
// the final active one — the journal replayed it there before that cluster took writes.
func (v view) checkMirrored(r *Result, found map[string]map[string]bool) {
	if !v.meta.Mirror || v.final == nil || v.final.Active == "" {
		return
	}
	active := v.final.Active
	have, ok := found[active]
	if !ok {
		r.Notes = append(r.Notes, fmt.Sprintf("mirror: the final active cluster %s could not be read; mirrored writes unverified", active))
		return
	}
	var missing []string
	var firstAt time.Time
	for _, w := range v.writes {
		if w.Cluster == "" || w.Cluster == active || have[w.ID] {
			continue
		}
		if len(missing) == 0 {
			firstAt = v.writeAt[w.ID]
		}
		missing = append(missing, w.ID)
	}
	if len(missing) > 0 {
		r.Lost += len(missing)
		r.Violations = append(r.Violations, Violation{LostWrite, firstAt, fmt.Sprintf(
			"mirror mode: %d write(s) acknowledged by another cluster are not on the final active cluster %s: %s",
			len(missing), active, firstIDs(missing, 5))})
	}
}
