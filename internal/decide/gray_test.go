package decide

import (
	"testing"
	"time"

	"github.com/esdr/esdr/internal/health"
)

// stalled is an active cluster whose control plane stalled at since, with a grace.
func stalled(name string, since time.Time, grace time.Duration) health.Observation {
	o := up(name, health.KindStalled, t0.Add(-time.Hour))
	o.StalledSince, o.StallGrace, o.Detail = since, grace, "control plane stalled"
	return o
}

// recovering is a cluster down by its threshold whose latest probe passed: the run of
// timeouts a starved esdr records, ended by one healthy answer.
func recovering(name string) health.Observation {
	return health.Observation{Cluster: name, Verdict: health.VerdictDown, Last: health.KindHealthy,
		Detail: "status green, 3 nodes", ConsecutiveSuccesses: 1}
}

func blind(name string) health.Observation {
	return health.Observation{Cluster: name, Verdict: health.VerdictBlind, Last: health.KindBlind,
		Detail: "esdr's credentials were refused (HTTP 401)"}
}

// TestDecideGrayFailures covers the verdicts and transitions of gray failures: a stalled
// control plane, a lost quorum, and esdr's own blindness.
func TestDecideGrayFailures(t *testing.T) {
	cases := []struct {
		name       string
		prev       State
		obs        Observations
		now        time.Time
		wantAction Action
		wantCode   Code
		wantActive string
	}{
		{"a master hung for less than the election grace is not a failover", onPrimary(),
			obs(stalled("primary", t0, 15*time.Second), up("standby", health.KindHealthy, t0)), t0.Add(10 * time.Second),
			ActNone, CodeElectionGrace, "primary"},
		{"a control plane stalled past the election grace is a failover", onPrimary(),
			obs(stalled("primary", t0, 15*time.Second), up("standby", health.KindHealthy, t0)), t0.Add(15 * time.Second),
			ActFailover, CodeStalledPastGrace, "standby"},
		{"a stall past the grace in the hold-down waits for an ack", held(onPrimary()),
			obs(stalled("primary", t0, 15*time.Second), up("standby", health.KindHealthy, t0)), t0.Add(time.Minute),
			ActNone, CodeHoldDown, "primary"},
		{"a stall past the grace with no healthy standby moves nothing", onPrimary(),
			obs(stalled("primary", t0, 15*time.Second), down("standby", health.KindUnreachable)), t0.Add(time.Minute),
			ActNone, CodeNoHealthyTarget, "primary"},
		{"a lost quorum is down like a crash once the threshold is met", onPrimary(),
			obs(down("primary", health.KindNoQuorum), up("standby", health.KindHealthy, t0)), t0,
			ActFailover, CodeActiveDown, "standby"},
		{"an active esdr cannot see is held, never failed over", onPrimary(),
			obs(blind("primary"), up("standby", health.KindHealthy, t0)), t0,
			ActNone, CodeActiveBlind, "primary"},
		{"a standby esdr cannot see is not a failover target", onPrimary(),
			obs(down("primary", health.KindUnreachable), blind("standby")), t0,
			ActNone, CodeNoHealthyTarget, "primary"},
		{"a standby whose control plane is stalled is not a failover target", onPrimary(),
			obs(down("primary", health.KindUnreachable), stalled("standby", t0, time.Minute)), t0,
			ActNone, CodeNoHealthyTarget, "primary"},
		{"an active down by its threshold whose latest probe passed is recovering, not failed over", onPrimary(),
			obs(recovering("primary"), up("standby", health.KindHealthy, t0)), t0,
			ActNone, CodeActiveRecovering, "primary"},
		{"an active that fails again after passing once is failed over", onPrimary(),
			obs(down("primary", health.KindTimeout), up("standby", health.KindHealthy, t0)), t0,
			ActFailover, CodeActiveDown, "standby"},
		{"a paused esdr waits through a stall past the grace", paused(onPrimary()),
			obs(stalled("primary", t0, 15*time.Second), up("standby", health.KindHealthy, t0)), t0.Add(time.Minute),
			ActNone, CodePaused, "primary"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			next, d := Decide(tc.prev, tc.obs, nil, tc.now, policy())
			if d.Action != tc.wantAction || d.Code != tc.wantCode || next.Active != tc.wantActive {
				t.Errorf("got %s/%s active %s (%s), want %s/%s active %s", d.Action, d.Code, next.Active, d.Reason,
					tc.wantAction, tc.wantCode, tc.wantActive)
			}
		})
	}
}

// TestSwitchoverAwayFromBlindActive: an operator can still switch over when esdr cannot
// see the active cluster.
func TestSwitchoverAwayFromBlindActive(t *testing.T) {
	cmd := &Command{Kind: CmdSwitchover, To: "standby"}
	next, d := Decide(onPrimary(), obs(blind("primary"), up("standby", health.KindHealthy, t0)), cmd, t0, policy())
	if d.Action != ActSwitchover || next.Active != "standby" {
		t.Errorf("got %s/%s active %s: %s", d.Action, d.Code, next.Active, d.Reason)
	}
}

// TestCombineBlind: in a fleet, a quorum of members that cannot see a cluster makes it
// blind (so decide says active-blind), not merely unknown; one blind member abstains.
func TestCombineBlind(t *testing.T) {
	view := func(member string, o health.Observation) VantageView {
		o.At = t0
		return VantageView{Member: member, At: t0, Clusters: map[string]health.Observation{o.Cluster: o}}
	}
	q := Quorum{Size: 2, MaxAge: time.Minute}
	t.Run("a quorum of blind members makes the cluster blind", func(t *testing.T) {
		got, _ := Combine([]VantageView{view("a", blind("primary")), view("b", blind("primary")), view("c", up("primary", health.KindHealthy, t0))},
			[]string{"primary"}, "primary", q, t0)
		if got["primary"].Verdict != health.VerdictBlind {
			t.Errorf("got %s: %s", got["primary"].Verdict, got["primary"].Detail)
		}
	})
	t.Run("a quorum seeing the cluster up wins over blind members", func(t *testing.T) {
		got, _ := Combine([]VantageView{view("a", blind("primary")), view("b", up("primary", health.KindHealthy, t0)), view("c", up("primary", health.KindHealthy, t0))},
			[]string{"primary"}, "primary", q, t0)
		if got["primary"].Verdict != health.VerdictUp {
			t.Errorf("got %s: %s", got["primary"].Verdict, got["primary"].Detail)
		}
	})
}
