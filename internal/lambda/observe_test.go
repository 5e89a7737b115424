package lambda

import (
	"context"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/health"
	"github.com/esdr/esdr/internal/watch"
)

// check is a probe result fixed in advance: observe and decide are pure given them.
func check(k health.Kind) watch.Check {
	return func(context.Context) watch.Result { return watch.Result{Kind: k, Detail: string(k)} }
}

// TestObserveDecide replays alarm events against probe results through observe and
// decide, the part of the handler that chooses whether to act.
func TestObserveDecide(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	policy := decide.Policy{Clusters: []string{"primary", "standby"}, AutoFailover: true, HoldDown: time.Hour,
		Failback: decide.FailbackManual, FailbackAfter: 5 * time.Minute}
	onPrimary := decide.State{Active: "primary", Epoch: 1}
	onStandby := decide.State{Active: "standby", Epoch: 2}
	for _, tc := range []struct {
		name             string
		confirm          bool
		prev             decide.State
		failback         decide.FailbackMode
		state            string
		primary, standby health.Kind
		want             decide.Code
	}{
		{"alarm confirmed", true, onPrimary, "", StateAlarm, health.KindTimeout, health.KindHealthy, decide.CodeActiveDown},
		{"alarm unconfirmed", true, onPrimary, "", StateAlarm, health.KindHealthy, health.KindHealthy, decide.CodeActiveHealthy},
		{"alarm, standby down", true, onPrimary, "", StateAlarm, health.KindUnreachable, health.KindRed, decide.CodeAllDown},
		{"alarm, standby degraded is up", true, onPrimary, "", StateAlarm, health.KindUnreachable, health.KindDegraded, decide.CodeActiveDown},
		{"alarm believed", false, onPrimary, "", StateAlarm, "", "", decide.CodeActiveDown},
		// A probe that cannot see the primary (credentials refused, a URL that reaches
		// something else) confirms nothing: unknown is not down.
		{"alarm, the probe from here is blind: not a confirmation", true, onPrimary, "", StateAlarm, health.KindBlind, health.KindHealthy, decide.CodeActiveBlind},
		{"alarm, a blind standby is no target", true, onPrimary, "", StateAlarm, health.KindTimeout, health.KindBlind, decide.CodeNoHealthyTarget},
		{"duplicate alarm", true, onStandby, "", StateAlarm, health.KindTimeout, health.KindHealthy, decide.CodeActiveHealthy},
		{"ok, manual failback", true, onStandby, "", StateOK, health.KindHealthy, health.KindHealthy, decide.CodeFailbackReady},
		{"ok, auto failback", false, onStandby, decide.FailbackAuto, StateOK, "", "", decide.CodeFailback},
		{"ok, auto failback in hold-down", false, decide.State{Active: "standby", Epoch: 2, HoldDownUntil: now.Add(time.Minute)},
			decide.FailbackAuto, StateOK, "", "", decide.CodeHoldDown},
		// An OK never fails over, even when the probe disagrees with it.
		{"ok, probe fails", true, onPrimary, "", StateOK, health.KindUnreachable, health.KindHealthy, decide.CodeActiveUnknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := policy
			if tc.failback != "" {
				p.Failback = tc.failback
			}
			h := &Handler{cfg: Config{Alarm: "a", Confirm: tc.confirm}, policy: p,
				prober: &prober{checks: map[string][]watch.Check{"primary": {check(tc.primary)}, "standby": {check(tc.standby)}},
					timeout: map[string]time.Duration{"primary": time.Second, "standby": time.Second}}}
			a := Alarm{Name: "a", State: tc.state, At: now.Add(-10 * time.Second)}
			_, d := decide.Decide(tc.prev, h.observe(context.Background(), a, now), nil, now, p)
			if d.Code != tc.want {
				t.Errorf("code %s (%s), want %s", d.Code, d.Reason, tc.want)
			}
			if tc.state == StateOK && d.Action == decide.ActFailover {
				t.Errorf("an OK event failed over: %s", d.Reason)
			}
		})
	}
}
