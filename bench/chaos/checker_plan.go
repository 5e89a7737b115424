package main

import (
	"fmt"
	"strings"
	"time"
)

// checkFlapping: two transitions closer than the hold-down are a flap unless an operator
// command (ack, switchover, ...) came between them; the hold-down exists to stop exactly
// that, so a second automatic move inside it is esdr ignoring its own policy.
func (v view) checkFlapping(r *Result) {
	for i := 1; i < len(v.transitions); i++ {
		prev, t := v.transitions[i-1], v.transitions[i]
		if operatorCodes[t.Code] || t.At.Sub(prev.At) >= v.meta.HoldDown {
			continue
		}
		if v.commandBetween(prev.At, t.At) {
			continue
		}
		r.Violations = append(r.Violations, Violation{Flapping, t.At, fmt.Sprintf(
			"%s only %s after %s (hold-down %s), no operator command between",
			t, t.At.Sub(prev.At).Round(time.Millisecond), prev, v.meta.HoldDown)})
	}
}

func (v view) commandBetween(from, to time.Time) bool {
	for _, c := range v.commands {
		if c.After(from) && !c.After(to) {
			return true
		}
	}
	return false
}

// settledPlan are the statuses a plan ends in.
var settledPlan = map[string]bool{"": true, "done": true, "superseded": true, "vetoed": true}

// checkPlan: after healing, and the time the runner gave it, esdr's last plan is
// settled and no fence of an old active cluster is still pending.
func (v view) checkPlan(r *Result) {
	if v.final == nil {
		r.Notes = append(r.Notes, "no final status recorded: plans not checked")
		return
	}
	f := v.final
	at := time.Time{}
	if len(v.transitions) > 0 {
		at = v.transitions[len(v.transitions)-1].At
	}
	if f.Err != "" {
		r.Notes = append(r.Notes, "final status unreadable, plans not checked: "+f.Err)
		return
	}
	if !settledPlan[f.PlanStatus] {
		r.Violations = append(r.Violations, Violation{StuckPlan, at, fmt.Sprintf(
			"plan of epoch %d is %s after healing; steps: %s", f.PlanEpoch, f.PlanStatus, strings.Join(f.PlanSteps, "; "))})
	}
	if len(f.PendingFences) > 0 {
		r.Violations = append(r.Violations, Violation{StuckPlan, at, fmt.Sprintf(
			"fence of %s still pending after healing (active %s, epoch %d)", strings.Join(f.PendingFences, ", "), f.Active, f.Epoch)})
	}
}
