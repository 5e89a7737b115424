package decide

import (
	"testing"
	"time"

	"github.com/esdr/esdr/internal/health"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func policy() Policy {
	return Policy{Clusters: []string{"primary", "standby"}, AutoFailover: true,
		HoldDown: 10 * time.Minute, Failback: FailbackManual, FailbackAfter: time.Minute}
}

func up(name string, kind health.Kind, since time.Time) health.Observation {
	return health.Observation{Cluster: name, Verdict: health.VerdictUp, Last: kind, Since: since, ConsecutiveSuccesses: 3}
}

func down(name string, kind health.Kind) health.Observation {
	return health.Observation{Cluster: name, Verdict: health.VerdictDown, Last: kind, Detail: string(kind), ConsecutiveFailures: 3}
}

func unknown(name string) health.Observation {
	return health.Observation{Cluster: name, Verdict: health.VerdictUnknown}
}

func obs(list ...health.Observation) Observations {
	o := Observations{}
	for _, x := range list {
		o[x.Cluster] = x
	}
	return o
}

func onPrimary() State   { return State{Active: "primary", Epoch: 1, ActiveSince: t0} }
func onStandby() State   { return State{Active: "standby", Epoch: 2, ActiveSince: t0} }
func held(s State) State { s.HoldDownUntil = t0.Add(10 * time.Minute); return s }
func paused(s State) State {
	s.Paused = true
	return s
}

func TestDecide(t *testing.T) {
	auto := policy()
	auto.Failback = FailbackAuto
	noAuto := policy()
	noAuto.AutoFailover = false
	three := policy()
	three.Clusters = []string{"primary", "standby", "dr"}

	cases := []struct {
		name       string
		prev       State
		obs        Observations
		cmd        *Command
		now        time.Time
		policy     Policy
		wantAction Action
		wantCode   Code
		wantActive string
		wantEpoch  uint64
	}{
		{"first start takes the preferred cluster at epoch 1", State{}, obs(), nil, t0, policy(),
			ActUpdate, CodeStarting, "primary", 1},
		{"healthy primary: nothing to do", onPrimary(), obs(up("primary", health.KindHealthy, t0), up("standby", health.KindHealthy, t0)), nil, t0, policy(),
			ActNone, CodeActiveHealthy, "primary", 1},
		{"crash: every primary node refuses, standby up → failover", onPrimary(), obs(down("primary", health.KindUnreachable), up("standby", health.KindHealthy, t0)), nil, t0, policy(),
			ActFailover, CodeActiveDown, "standby", 2},
		{"hang: primary times out, standby up → failover", onPrimary(), obs(down("primary", health.KindTimeout), up("standby", health.KindHealthy, t0)), nil, t0, policy(),
			ActFailover, CodeActiveDown, "standby", 2},
		{"red primary past the threshold → failover", onPrimary(), obs(down("primary", health.KindRed), up("standby", health.KindHealthy, t0)), nil, t0, policy(),
			ActFailover, CodeActiveDown, "standby", 2},
		{"one node lost: primary degraded but up → no failover", onPrimary(), obs(up("primary", health.KindDegraded, t0), up("standby", health.KindHealthy, t0)), nil, t0, policy(),
			ActNone, CodeActiveDegraded, "primary", 1},
		{"yellow within tolerance → no failover", onPrimary(), obs(up("primary", health.KindDegraded, t0), up("standby", health.KindHealthy, t0)), nil, t0, policy(),
			ActNone, CodeActiveDegraded, "primary", 1},
		{"failures below threshold keep the verdict up → no failover", onPrimary(),
			obs(health.Observation{Cluster: "primary", Verdict: health.VerdictUp, Last: health.KindUnreachable, ConsecutiveFailures: 2}, up("standby", health.KindHealthy, t0)), nil, t0, policy(),
			ActNone, CodeActiveHealthy, "primary", 1},
		{"standby down when primary dies → no healthy target", onPrimary(), obs(down("primary", health.KindUnreachable), down("standby", health.KindTimeout)), nil, t0, policy(),
			ActNone, CodeAllDown, "primary", 1},
		{"standby unknown when primary dies → no healthy target", onPrimary(), obs(down("primary", health.KindUnreachable), unknown("standby")), nil, t0, policy(),
			ActNone, CodeNoHealthyTarget, "primary", 1},
		{"standby missing from observations → no healthy target", onPrimary(), obs(down("primary", health.KindUnreachable)), nil, t0, policy(),
			ActNone, CodeNoHealthyTarget, "primary", 1},
		{"both down → all down", onPrimary(), obs(down("primary", health.KindUnreachable), down("standby", health.KindUnreachable)), nil, t0, policy(),
			ActNone, CodeAllDown, "primary", 1},
		{"first standby down, second up → failover to the second", onPrimary(), obs(down("primary", health.KindUnreachable), down("standby", health.KindUnreachable), up("dr", health.KindHealthy, t0)), nil, t0, three,
			ActFailover, CodeActiveDown, "dr", 2},
		{"active unknown at start → wait", onPrimary(), obs(unknown("primary"), up("standby", health.KindHealthy, t0)), nil, t0, policy(),
			ActNone, CodeActiveUnknown, "primary", 1},
		{"paused: primary down → no action", paused(onPrimary()), obs(down("primary", health.KindUnreachable), up("standby", health.KindHealthy, t0)), nil, t0, policy(),
			ActNone, CodePaused, "primary", 1},
		{"auto failover off → wait for an operator", onPrimary(), obs(down("primary", health.KindUnreachable), up("standby", health.KindHealthy, t0)), nil, t0, noAuto,
			ActNone, CodeAutoFailoverOff, "primary", 1},
		{"hold-down blocks a second failover", held(onStandby()), obs(up("primary", health.KindHealthy, t0), down("standby", health.KindUnreachable)), nil, t0.Add(time.Minute), policy(),
			ActNone, CodeHoldDown, "standby", 2},
		{"hold-down expired → failover allowed", held(onStandby()), obs(up("primary", health.KindHealthy, t0), down("standby", health.KindUnreachable)), nil, t0.Add(11 * time.Minute), policy(),
			ActFailover, CodeActiveDown, "primary", 3},
		{"manual failback: primary back → stays, says failback ready", onStandby(), obs(up("primary", health.KindHealthy, t0), up("standby", health.KindHealthy, t0)), nil, t0.Add(time.Hour), policy(),
			ActNone, CodeFailbackReady, "standby", 2},
		{"auto failback: inside the window → waits", onStandby(), obs(up("primary", health.KindHealthy, t0), up("standby", health.KindHealthy, t0)), nil, t0.Add(30 * time.Second), auto,
			ActNone, CodeFailbackWaiting, "standby", 2},
		{"auto failback: window passed → fails back", onStandby(), obs(up("primary", health.KindHealthy, t0), up("standby", health.KindHealthy, t0)), nil, t0.Add(time.Minute), auto,
			ActFailback, CodeFailback, "primary", 3},
		{"auto failback: window passed but hold-down → waits", held(onStandby()), obs(up("primary", health.KindHealthy, t0), up("standby", health.KindHealthy, t0)), nil, t0.Add(2 * time.Minute), auto,
			ActNone, CodeHoldDown, "standby", 2},
		{"switchover to a healthy standby", onPrimary(), obs(up("primary", health.KindHealthy, t0), up("standby", health.KindHealthy, t0)), &Command{Kind: CmdSwitchover, To: "standby"}, t0, policy(),
			ActSwitchover, CodeSwitchover, "standby", 2},
		{"switchover refused: target down", onPrimary(), obs(up("primary", health.KindHealthy, t0), down("standby", health.KindUnreachable)), &Command{Kind: CmdSwitchover, To: "standby"}, t0, policy(),
			ActRefuse, CodeSwitchoverRefused, "primary", 1},
		{"switchover refused: target never seen", onPrimary(), obs(up("primary", health.KindHealthy, t0)), &Command{Kind: CmdSwitchover, To: "standby"}, t0, policy(),
			ActRefuse, CodeSwitchoverRefused, "primary", 1},
		{"switchover forced to a down target", onPrimary(), obs(up("primary", health.KindHealthy, t0), down("standby", health.KindUnreachable)), &Command{Kind: CmdSwitchover, To: "standby", Force: true}, t0, policy(),
			ActSwitchover, CodeSwitchoverForced, "standby", 2},
		{"switchover to an unknown cluster refused", onPrimary(), obs(), &Command{Kind: CmdSwitchover, To: "nowhere"}, t0, policy(),
			ActRefuse, CodeUnknownCluster, "primary", 1},
		{"switchover to the active cluster is a no-op", onPrimary(), obs(up("primary", health.KindHealthy, t0)), &Command{Kind: CmdSwitchover, To: "primary"}, t0, policy(),
			ActNone, CodeAlreadyActive, "primary", 1},
		{"manual failback by switchover", onStandby(), obs(up("primary", health.KindHealthy, t0), up("standby", health.KindHealthy, t0)), &Command{Kind: CmdSwitchover, To: "primary"}, t0, policy(),
			ActSwitchover, CodeSwitchover, "primary", 3},
		{"switchover while paused is allowed", paused(onPrimary()), obs(up("primary", health.KindHealthy, t0), up("standby", health.KindHealthy, t0)), &Command{Kind: CmdSwitchover, To: "standby"}, t0, policy(),
			ActSwitchover, CodeSwitchover, "standby", 2},
		{"pause", onPrimary(), obs(), &Command{Kind: CmdPause}, t0, policy(), ActUpdate, CodePausedSet, "primary", 1},
		{"resume", paused(onPrimary()), obs(), &Command{Kind: CmdResume}, t0, policy(), ActUpdate, CodeResumed, "primary", 1},
		{"ack lifts the hold-down", held(onStandby()), obs(), &Command{Kind: CmdAck}, t0.Add(time.Minute), policy(), ActUpdate, CodeAcknowledged, "standby", 2},
		{"ack without hold-down changes nothing", onStandby(), obs(), &Command{Kind: CmdAck}, t0, policy(), ActNone, CodeNothingToAck, "standby", 2},
		{"restart with persisted state: standby stays active at its epoch", State{Active: "standby", Epoch: 7, ActiveSince: t0},
			obs(unknown("primary"), unknown("standby")), nil, t0.Add(time.Hour), policy(), ActNone, CodeActiveUnknown, "standby", 7},
		{"stored active cluster removed from config → keep, report", State{Active: "old", Epoch: 4}, obs(up("primary", health.KindHealthy, t0)), nil, t0, policy(),
			ActNone, CodeActiveRemoved, "old", 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			next, d := Decide(tc.prev, tc.obs, tc.cmd, tc.now, tc.policy)
			if d.Action != tc.wantAction || d.Code != tc.wantCode {
				t.Fatalf("decision = %s/%s (%s), want %s/%s", d.Action, d.Code, d.Reason, tc.wantAction, tc.wantCode)
			}
			if next.Active != tc.wantActive || next.Epoch != tc.wantEpoch {
				t.Fatalf("next = %s@%d, want %s@%d", next.Active, next.Epoch, tc.wantActive, tc.wantEpoch)
			}
			if d.Epoch != next.Epoch {
				t.Fatalf("decision epoch %d != state epoch %d", d.Epoch, next.Epoch)
			}
			if d.Transitions() != (next.Epoch != tc.prev.Epoch && tc.prev.Initialized()) {
				t.Fatalf("Transitions()=%v but epoch %d→%d", d.Transitions(), tc.prev.Epoch, next.Epoch)
			}
			if d.Reason == "" {
				t.Fatal("every decision must carry a reason")
			}
			if _, ok := Catalogue[d.Code]; !ok {
				t.Fatalf("code %q is not in the catalogue", d.Code)
			}
		})
	}
}
