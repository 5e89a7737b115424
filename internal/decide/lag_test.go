package decide

import (
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/health"
)

// lagged is o with n journaled writes it still lacks (mirror mode).
func lagged(o health.Observation, n uint64) health.Observation {
	o.MirrorLag = n
	return o
}

// owedBy is o with the members that owe its lag named.
func owedBy(o health.Observation, who string) health.Observation {
	o.MirrorOwedBy = who
	return o
}

// unknownLag is o with its lag not known, and why.
func unknownLag(o health.Observation, why string) health.Observation {
	o.MirrorLagUnknown = why
	return o
}

// TestDecideMirrorLag: in mirror mode an automatic failover or failback to a cluster
// lacking more journaled writes than the bound is refused, with the lag in the reason;
// a switchover too, unless forced.
func TestDecideMirrorLag(t *testing.T) {
	mirror := policy()
	mirror.MaxLagOnFailover = 100
	mirrorAuto := mirror
	mirrorAuto.Failback = FailbackAuto
	primaryDown := down("primary", health.KindUnreachable)
	bothUp := func(primaryLag, standbyLag uint64) Observations {
		return obs(lagged(up("primary", health.KindHealthy, t0), primaryLag), lagged(up("standby", health.KindHealthy, t0), standbyLag))
	}
	cases := []struct {
		name       string
		prev       State
		obs        Observations
		cmd        *Command
		policy     Policy
		wantAction Action
		wantCode   Code
		wantActive string
		wantReason string
	}{
		{"standby within the bound → failover", onPrimary(), obs(primaryDown, lagged(up("standby", health.KindHealthy, t0), 100)), nil, mirror,
			ActFailover, CodeActiveDown, "standby", ""},
		{"standby past the bound → failover refused with the lag", onPrimary(), obs(primaryDown, lagged(up("standby", health.KindHealthy, t0), 101)), nil, mirror,
			ActNone, CodeStandbyLagging, "primary", "standby lacks 101 journaled writes"},
		{"standby past the bound in a fleet → failover refused naming the members that owe it", onPrimary(),
			obs(primaryDown, owedBy(lagged(up("standby", health.KindHealthy, t0), 140), "esdr-2 owes 140 (reported 35s ago at epoch 3)")), nil, mirror,
			ActNone, CodeStandbyLagging, "primary", "standby lacks 140 journaled writes, more than the 100 mirror.max_lag_on_failover allows: esdr-2 owes 140"},
		{"standby whose lag is not known yet in a fleet → failover refused saying why", onPrimary(),
			obs(primaryDown, unknownLag(up("standby", health.KindHealthy, t0), "the members' mirror reports are not read from etcd yet")), nil, mirror,
			ActNone, CodeStandbyLagging, "primary", "what standby lacks of the journaled writes is not known (the members' mirror reports"},
		{"no bound (mirror off) → failover whatever the lag", onPrimary(), obs(primaryDown, lagged(up("standby", health.KindHealthy, t0), 1e6)), nil, policy(),
			ActFailover, CodeActiveDown, "standby", ""},
		{"auto failback to a lagging old primary waits for the resync", onStandby(), bothUp(5000, 0), nil, mirrorAuto,
			ActNone, CodeStandbyLagging, "standby", "failback to primary waits: primary lacks 5000"},
		{"manual failback to a lagging old primary names esdr resync first", onStandby(), bothUp(5000, 0), nil, mirror,
			ActNone, CodeFailbackReady, "standby", "it lacks 5000 journaled writes: run esdr resync --to primary, then esdr switchover --to primary"},
		{"auto failback once the old primary caught up", onStandby(), bothUp(0, 0), nil, mirrorAuto,
			ActFailback, CodeFailback, "primary", ""},
		{"switchover to a lagging cluster refused", onStandby(), bothUp(5000, 0), &Command{Kind: CmdSwitchover, To: "primary"}, mirror,
			ActRefuse, CodeStandbyLagging, "standby", "use --force"},
		{"switchover to a lagging cluster forced", onStandby(), bothUp(5000, 0), &Command{Kind: CmdSwitchover, To: "primary", Force: true}, mirror,
			ActSwitchover, CodeSwitchoverForced, "primary", "although primary lacks 5000"},
		{"switchover within the bound", onStandby(), bothUp(7, 0), &Command{Kind: CmdSwitchover, To: "primary"}, mirror,
			ActSwitchover, CodeSwitchover, "primary", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			next, d := Decide(tc.prev, tc.obs, tc.cmd, t0.Add(time.Hour), tc.policy)
			if d.Action != tc.wantAction || d.Code != tc.wantCode || next.Active != tc.wantActive {
				t.Fatalf("decision = %s/%s → %s (%s), want %s/%s → %s", d.Action, d.Code, next.Active, d.Reason, tc.wantAction, tc.wantCode, tc.wantActive)
			}
			if !strings.Contains(d.Reason, tc.wantReason) {
				t.Errorf("reason %q, want it to say %q", d.Reason, tc.wantReason)
			}
			if m, ok := Catalogue[d.Code]; !ok || d.Code == CodeStandbyLagging && m.Actionable {
				t.Errorf("code %q: catalogue %+v", d.Code, m)
			}
		})
	}
}
