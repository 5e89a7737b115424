package main

import (
	"fmt"
	"strings"
	"time"
)

// operatorCodes are transitions an operator asked for: never a false failover or a flap.
var operatorCodes = map[string]bool{"switchover": true, "switchover-forced": true}

// checkFailovers: every automatic failover away from a cluster is justified by a fault
// on it (its quorum lost, or esdr cut off from it) that was active, or had just ended, at
// the decision; and every lost quorum of the active cluster that lasted the bound, with a
// healthy target and a running esdr, was failed over within the bound.
func (v view) checkFailovers(r *Result) {
	for _, t := range v.transitions {
		if operatorCodes[t.Code] || t.Code == "failback" {
			continue
		}
		if v.justified(t) {
			continue
		}
		r.Violations = append(r.Violations, Violation{FalseFailover, t.At, fmt.Sprintf(
			"failover %s while %s kept its quorum and esdr's path to it; faults then: %s; esdr's reason: %s",
			t, t.From, v.faultsAround(t.At), t.Reason)})
	}
	for _, f := range v.faults {
		if !f.QuorumLost || v.activeAt(f.Start) != f.Target {
			continue
		}
		deadline := f.Start.Add(v.meta.Bound)
		t, moved := v.transitionFrom(f.Target, f.Start, f.until(v.meta.Grace))
		if moved {
			r.RTO = append(r.RTO, t.At.Sub(f.Start))
			if c, ok := v.firstAckElsewhere(f.Target, f.Start); ok {
				r.ClientRTO = append(r.ClientRTO, c)
			}
		}
		if moved && !t.At.After(deadline) {
			continue
		}
		if !f.End.IsZero() && f.End.Before(deadline) {
			continue // healed within the bound: a failover was allowed, not due
		}
		if why := v.confounded(f, deadline); why != "" {
			r.Notes = append(r.Notes, fmt.Sprintf("fault %d (%s of %s): failover not required: %s", f.ID, f.Kind, f.Target, why))
			continue
		}
		got := "none"
		if moved {
			got = fmt.Sprintf("%s, %s after the fault", t, t.At.Sub(f.Start).Round(time.Millisecond))
		}
		r.Violations = append(r.Violations, Violation{MissedFailover, deadline, fmt.Sprintf(
			"%s lost its quorum (fault %d: %s of %s) at %s and was active; bound %s; failover: %s; esdr's decisions: %s",
			f.Target, f.ID, f.Kind, strings.Join(f.Nodes, ","), f.Start.UTC().Format("15:04:05.000"), v.meta.Bound, got,
			v.decisionsBetween(f.Start, deadline))})
	}
}

// until is the end of a fault's effect: its end plus grace, or forever.
func (f span) until(grace time.Duration) time.Time {
	if f.End.IsZero() {
		return time.Unix(1<<40, 0)
	}
	return f.End.Add(grace)
}

// justified reports whether a fault on the cluster t left explains it.
func (v view) justified(t Transition) bool {
	for _, f := range v.faults {
		if f.Target == t.From && (f.QuorumLost || f.EsdrCut) && !t.At.Before(f.Start) && !t.At.After(f.until(v.meta.Grace)) {
			return true
		}
	}
	return false
}

// activeAt is the active cluster at time at: the last transition's target before it, or
// the epoch-1 choice.
func (v view) activeAt(at time.Time) string {
	a := v.epochActive[1]
	if a == "" && len(v.meta.Clusters) > 0 {
		a = v.meta.Clusters[0]
	}
	for _, t := range v.transitions {
		if t.At.Before(at) {
			a = t.To
		}
	}
	return a
}

// transitionFrom is the first transition away from cluster in [from, to].
func (v view) transitionFrom(cluster string, from, to time.Time) (Transition, bool) {
	for _, t := range v.transitions {
		if t.From == cluster && !t.At.Before(from) && !t.At.After(to) {
			return t, true
		}
	}
	return Transition{}, false
}

// confounded says why a lost quorum did not require a failover: another fault made the
// target unhealthy or stopped esdr during the window, or a hold-down was in force.
func (v view) confounded(f span, deadline time.Time) string {
	for _, g := range v.faults {
		if g.ID == f.ID || g.Target == f.Target {
			continue
		}
		if g.Start.Before(deadline) && g.until(v.meta.Grace).After(f.Start) {
			return fmt.Sprintf("fault %d (%s of %s) overlapped it", g.ID, g.Kind, g.Target)
		}
	}
	for _, t := range v.transitions {
		if t.At.Before(f.Start) && f.Start.Sub(t.At) < v.meta.HoldDown {
			return fmt.Sprintf("hold-down after %s", t)
		}
	}
	return ""
}

// firstAckElsewhere is the time from the fault to the first write acknowledged by a
// cluster other than the one that failed.
func (v view) firstAckElsewhere(failed string, start time.Time) (time.Duration, bool) {
	for _, w := range v.writes {
		if at := v.writeAt[w.ID]; w.Cluster != "" && w.Cluster != failed && at.After(start) {
			return at.Sub(start), true
		}
	}
	return 0, false
}

// faultsAround describes the faults active (or within grace of their end) at at.
func (v view) faultsAround(at time.Time) string {
	var out []string
	for _, f := range v.faults {
		if !at.Before(f.Start) && !at.After(f.until(v.meta.Grace)) {
			out = append(out, fmt.Sprintf("%d %s of %s %v", f.ID, f.Kind, f.Target, f.Nodes))
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, "; ")
}

// decisionsBetween lists the codes of esdr's decided and refused events in a window, the
// reasons it gave itself for not moving.
func (v view) decisionsBetween(from, to time.Time) string {
	var out []string
	seen := map[string]bool{}
	for _, e := range v.events {
		if (e.Kind == "decided" || e.Kind == "refused" || e.Kind == "observed") && !e.At.Before(from) && !e.At.After(to) {
			s := e.Kind + " " + e.Code
			if e.Kind == "observed" {
				s, _, _ = strings.Cut(e.Message, " (")
			}
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	if len(out) == 0 {
		return "none recorded"
	}
	return strings.Join(out, "; ")
}
