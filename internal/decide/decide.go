package decide

import (
	"fmt"
	"time"

	"github.com/esdr/esdr/internal/health"
)

// Observations maps a cluster name to what the watch step last concluded about it.
// A cluster missing from the map is treated as unknown: never a target, never down.
type Observations map[string]health.Observation

func (o Observations) of(name string) health.Observation {
	if ob, ok := o[name]; ok {
		return ob
	}
	return health.Observation{Cluster: name, Verdict: health.VerdictUnknown}
}

// Decide returns the next state and the decision that explains it. It is pure: the same
// arguments always give the same result, which is what lets the control loop retry a
// decision after a compare-and-swap conflict and lets table tests replay incidents.
//
// An operator command, when present, is decided instead of the automatic rules for that
// round; the automatic rules run again on the next round with the new state.
func Decide(prev State, obs Observations, cmd *Command, now time.Time, p Policy) (State, Decision) {
	if !prev.Initialized() {
		return start(prev, now, p)
	}
	if cmd != nil {
		return command(prev, obs, *cmd, now, p)
	}
	if prev.Paused {
		return prev, none(prev, CodePaused, "paused: "+situation(prev, obs))
	}
	if !p.Has(prev.Active) {
		return prev, none(prev, CodeActiveRemoved,
			fmt.Sprintf("active cluster %q is not in the configuration; run esdr switchover --to NAME", prev.Active))
	}
	active := obs.of(prev.Active)
	switch active.Verdict {
	case health.VerdictDown:
		if active.Recovering() {
			return prev, none(prev, CodeActiveRecovering, fmt.Sprintf(
				"active %s is down by its threshold but its latest probe passed (%s: %s, %d in a row); esdr holds while it recovers",
				prev.Active, active.Last, active.Detail, active.ConsecutiveSuccesses))
		}
		return onActiveDown(prev, obs, now, p)
	case health.VerdictUnknown:
		why := fmt.Sprintf("active %s: not enough results yet", prev.Active)
		if active.Detail != "" {
			why += "; " + active.Detail
		}
		return prev, none(prev, CodeActiveUnknown, why)
	case health.VerdictBlind:
		return prev, none(prev, CodeActiveBlind, fmt.Sprintf("esdr cannot see active %s, so it holds: %s", prev.Active, active.Detail))
	}
	if active.StalledPastGrace(now) {
		return onActiveDown(prev, obs, now, p)
	}
	if active.Last == health.KindStalled {
		return prev, none(prev, CodeElectionGrace, fmt.Sprintf("active %s stalled for %s of its %s election grace: %s",
			prev.Active, round(now.Sub(active.StalledSince)), active.StallGrace, active.Detail))
	}
	if pref := p.Preferred(); prev.Active != pref && obs.of(pref).Up() {
		return onPreferredBack(prev, obs, now, p)
	}
	if active.Last == health.KindDegraded {
		return prev, none(prev, CodeActiveDegraded, fmt.Sprintf("active %s degraded: %s", prev.Active, active.Detail))
	}
	return prev, none(prev, CodeActiveHealthy, fmt.Sprintf("active %s healthy", prev.Active))
}

// start chooses the preferred cluster on first boot. Epoch 1 is the first fencing token.
func start(prev State, now time.Time, p Policy) (State, Decision) {
	next := prev
	next.Active, next.Epoch, next.ActiveSince = p.Preferred(), 1, now
	return next, Decision{Action: ActUpdate, To: next.Active, Epoch: 1, Code: CodeStarting,
		Reason: fmt.Sprintf("first start: %s is the preferred cluster", next.Active)}
}

// onActiveDown fails over from an active cluster that is down, or whose control plane
// stayed stalled past its election grace.
func onActiveDown(prev State, obs Observations, now time.Time, p Policy) (State, Decision) {
	down := obs.of(prev.Active)
	cause := fmt.Sprintf("active %s down (%s: %s, %d consecutive failures)",
		prev.Active, down.Last, down.Detail, down.ConsecutiveFailures)
	code := CodeActiveDown
	if !down.Down() {
		code = CodeStalledPastGrace
		cause = fmt.Sprintf("active %s stalled for %s, past its %s election grace (%s)",
			prev.Active, round(now.Sub(down.StalledSince)), down.StallGrace, down.Detail)
	}
	target, ok := firstUp(obs, p, prev.Active)
	switch {
	case !ok && allDown(obs, p):
		return prev, none(prev, CodeAllDown, cause+"; every cluster is down")
	case !ok:
		return prev, none(prev, CodeNoHealthyTarget, cause+"; no other cluster is up: "+others(obs, p, prev.Active))
	case !p.AutoFailover:
		return prev, none(prev, CodeAutoFailoverOff, cause+fmt.Sprintf("; %s is up; run esdr switchover --to %s", target, target))
	case prev.InHoldDown(now):
		return prev, none(prev, CodeHoldDown, cause+fmt.Sprintf("; failover to %s suppressed until %s; run esdr ack to allow it",
			target, prev.HoldDownUntil.UTC().Format(time.RFC3339)))
	}
	if why := lagging(obs, target, p); why != "" {
		return prev, none(prev, CodeStandbyLagging, cause+"; "+target+" is up but "+why)
	}
	return transition(prev, ActFailover, code, target, cause+"; "+target+" is up", now, p.HoldDown)
}

func onPreferredBack(prev State, obs Observations, now time.Time, p Policy) (State, Decision) {
	pref := p.Preferred()
	upFor := now.Sub(obs.of(pref).Since)
	if p.Failback != FailbackAuto {
		next := "run esdr switchover --to " + pref
		if lag := obs.of(pref).MirrorLag; lag > 0 {
			next = fmt.Sprintf("it lacks %d journaled writes: run esdr resync --to %s, then esdr switchover --to %s", lag, pref, pref)
		}
		return prev, none(prev, CodeFailbackReady,
			fmt.Sprintf("preferred %s up for %s; failback is manual: %s", pref, round(upFor), next))
	}
	if upFor < p.FailbackAfter {
		return prev, none(prev, CodeFailbackWaiting,
			fmt.Sprintf("preferred %s up for %s of the %s failback window", pref, round(upFor), p.FailbackAfter))
	}
	if why := lagging(obs, pref, p); why != "" {
		return prev, none(prev, CodeStandbyLagging, fmt.Sprintf("failback to %s waits: %s", pref, why))
	}
	if prev.InHoldDown(now) {
		return prev, none(prev, CodeHoldDown, fmt.Sprintf("failback to %s suppressed until %s; run esdr ack to allow it",
			pref, prev.HoldDownUntil.UTC().Format(time.RFC3339)))
	}
	return transition(prev, ActFailback, CodeFailback, pref,
		fmt.Sprintf("preferred %s up for %s (window %s)", pref, round(upFor), p.FailbackAfter), now, p.HoldDown)
}

// transition moves Active to target under a new epoch. holdDown > 0 starts the anti-flap
// block; operator switchovers pass 0, which also clears any block in force.
func transition(prev State, a Action, c Code, target, reason string, now time.Time, holdDown time.Duration) (State, Decision) {
	next := prev
	next.Active, next.Epoch, next.ActiveSince = target, prev.Epoch+1, now
	next.HoldDownUntil = time.Time{}
	if holdDown > 0 {
		next.HoldDownUntil = now.Add(holdDown)
	}
	next.LastTransition = &Transition{Kind: a, From: prev.Active, To: target, Epoch: next.Epoch, Code: c, Reason: reason, At: now}
	return next, Decision{Action: a, From: prev.Active, To: target, Epoch: next.Epoch, Code: c, Reason: reason}
}

func none(s State, c Code, reason string) Decision {
	return Decision{Action: ActNone, Epoch: s.Epoch, Code: c, Reason: reason}
}

func round(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }
