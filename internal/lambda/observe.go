package lambda

import (
	"context"
	"time"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/health"
)

// observe turns the alarm, and the probes when Confirm is on, into decide's input.
//
// The alarm speaks only for the primary: ALARM is "down", OK is "up". A probe from here
// can overrule it in one direction each, never into a failover the alarm did not ask for:
//   - ALARM but the primary answers healthy: the primary is up (not confirmed, no action);
//   - ALARM but the probe is blind: the primary is blind (not confirmed, no action);
//   - OK but the primary fails its probe: unknown (so an OK event can never fail over).
//
// Standbys are what the probes say; without Confirm they are assumed up.
func (h *Handler) observe(ctx context.Context, a Alarm, now time.Time) decide.Observations {
	primary := h.policy.Preferred()
	obs := decide.Observations{}
	var probed map[string]health.Observation
	if h.cfg.Confirm {
		probed = h.prober.probeAll(ctx, now)
	}
	for _, name := range h.policy.Clusters {
		if name != primary {
			if ob, ok := probed[name]; ok {
				obs[name] = ob
			} else {
				obs[name] = health.Observation{Cluster: name, Verdict: health.VerdictUp, Last: health.KindHealthy,
					Detail: "assumed up (" + EnvConfirm + "=false)", At: now}
			}
			continue
		}
		ob := health.Observation{Cluster: name, Verdict: health.VerdictDown, Last: health.KindUnreachable,
			Detail: "alarm " + a.Name + " in ALARM: " + truncate(a.Reason, 200), At: now, ConsecutiveFailures: 1}
		if a.State == StateOK {
			ob = health.Observation{Cluster: name, Verdict: health.VerdictUp, Last: health.KindHealthy,
				Detail: "alarm " + a.Name + " OK", At: now, ConsecutiveSuccesses: 1, Since: h.upSince(a, now)}
		}
		if p, ok := probed[name]; ok {
			switch {
			case a.State == StateAlarm && p.Up():
				ob = p
				ob.Detail = "alarm " + a.Name + " in ALARM, but the probe from here finds it healthy: " + p.Detail
			case a.State == StateAlarm && p.Verdict == health.VerdictBlind:
				// A probe that cannot see the primary (its credentials refused, its URLs
				// reaching something else) confirms nothing: unknown is not down.
				ob = p
				ob.Detail = "alarm " + a.Name + " in ALARM, but the probe from here is blind, which confirms nothing: " + p.Detail
			case a.State == StateAlarm:
				ob.Last, ob.Detail = p.Last, "alarm "+a.Name+" in ALARM, confirmed: "+p.Detail
			case !p.Up():
				ob = p
				ob.Verdict = health.VerdictUnknown
				ob.Detail = "alarm " + a.Name + " OK, but the probe from here fails: " + p.Detail
			}
		}
		obs[name] = ob
	}
	return obs
}

// upSince is when an OK alarm says the primary came back. On this path the alarm's own
// evaluation periods are the stability window, and no later event will come to measure
// failback_after against: an OK counts as the whole window, measured back from the
// alarm's state change. Failback itself still happens only with failover.failback: auto.
func (h *Handler) upSince(a Alarm, now time.Time) time.Time {
	at := a.At
	if at.IsZero() || at.After(now) {
		at = now
	}
	return at.Add(-h.policy.FailbackAfter)
}
