package decide

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/health"
)

// TestDecideOnCombined feeds Combine's output to Decide: an Unknown made by disagreement or
// missing quorum must never move traffic, from the active cluster or to a target.
func TestDecideOnCombined(t *testing.T) {
	pUp, pDown := up("primary", health.KindHealthy, t0.Add(-time.Hour)), down("primary", health.KindUnreachable)
	sUp, sDown := up("standby", health.KindHealthy, t0.Add(-time.Hour)), down("standby", health.KindTimeout)
	three := func(a, b, c []health.Observation) []VantageView {
		return []VantageView{view("m1", "zone-a", t0, a...), view("m2", "zone-b", t0, b...), view("m3", "zone-c", t0, c...)}
	}
	o := func(list ...health.Observation) []health.Observation { return list }
	auto := policy()
	auto.Failback = FailbackAuto
	cases := []struct {
		name       string
		prev       State
		views      []VantageView
		cmd        *Command
		policy     Policy
		wantAction Action
		wantCode   Code
	}{
		{"one of three cannot reach primary: active stays healthy, no failover", onPrimary(),
			three(o(pDown, sUp), o(pUp, sUp), o(pUp, sUp)), nil, policy(), ActNone, CodeActiveHealthy},
		{"no quorum of fresh views while the only fresh one sees primary down: active unknown, no failover", onPrimary(),
			[]VantageView{view("m1", "zone-a", t0, pDown, sUp), view("m2", "zone-b", t0.Add(-time.Minute), pDown, sUp)}, nil, policy(), ActNone, CodeActiveUnknown},
		{"one against one on the primary with quorum two: active unknown, no failover", onPrimary(),
			[]VantageView{view("m1", "zone-a", t0, pDown, sUp), view("m2", "zone-b", t0, pUp, sUp)}, nil, policy(), ActNone, CodeActiveUnknown},
		{"primary down by quorum, target up from only one of three: no healthy target", onPrimary(),
			three(o(pDown, sUp), o(pDown, sDown), o(pDown, unknown("standby"))), nil, policy(), ActNone, CodeNoHealthyTarget},
		{"auto failback: preferred seen up by one of three long past the window: no failback", onStandby(),
			three(o(pUp, sUp), o(pDown, sUp), o(unknown("primary"), sUp)), nil, auto, ActNone, CodeActiveHealthy},
		{"switchover to a target seen up by one of three is refused", onPrimary(),
			three(o(pUp, sUp), o(pUp, sDown), o(pUp, sDown)), &Command{Kind: CmdSwitchover, To: "standby"}, policy(), ActRefuse, CodeSwitchoverRefused},
		{"control: two of three see primary down, target up: failover", onPrimary(),
			three(o(pDown, sUp), o(pDown, sUp), o(pUp, sUp)), nil, policy(), ActFailover, CodeActiveDown},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			combined, _ := Combine(tc.views, tc.policy.Clusters, tc.prev.Active, quorum, t0)
			next, d := Decide(tc.prev, combined, tc.cmd, t0, tc.policy)
			if d.Action != tc.wantAction || d.Code != tc.wantCode {
				t.Fatalf("decision = %s/%s (%s), want %s/%s", d.Action, d.Code, d.Reason, tc.wantAction, tc.wantCode)
			}
			if d.Code == CodeActiveUnknown && !strings.Contains(d.Reason, "fresh vantage points") {
				t.Errorf("reason %q should say how the vantage points voted", d.Reason)
			}
			if d.Transitions() != (tc.wantAction == ActFailover) || (next.Epoch != tc.prev.Epoch) != d.Transitions() {
				t.Fatalf("transition %v, epoch %d→%d", d.Transitions(), tc.prev.Epoch, next.Epoch)
			}
		})
	}
}

// TestPartitionedMemberNeverFailsOverQuorumDoes replays a fleet of three members over time,
// the way the leader's loop does: read the views, Combine, Decide.
func TestPartitionedMemberNeverFailsOverQuorumDoes(t *testing.T) {
	q := Quorum{Size: 2, MaxAge: 5 * time.Second}
	// A member's script says, at step i (one step a second), whether it publishes a view
	// and whether that view has the primary down. The fleet store keeps each member's last
	// view, taken a second before the leader reads it, until the member publishes again.
	type script func(i int) (primaryDown, publishes bool)
	steady := func(down bool) script { return func(int) (bool, bool) { return down, true } }
	from := func(step int) script { return func(i int) (bool, bool) { return i >= step, true } }
	diesAt := func(step int, down bool) script { return func(i int) (bool, bool) { return down, i < step } }
	cases := []struct {
		name            string
		members         [3]script
		wantFailoverAt  int // -1: never
		wantPartitioned string
	}{
		{"one member cut off from the primary for the whole run: never a failover, a finding naming it",
			[3]script{steady(true), steady(false), steady(false)}, -1, "m1"},
		{"a second member loses the primary at step 20: exactly one failover, at step 20",
			[3]script{steady(true), from(20), steady(false)}, 20, "m1"},
		{"a dead member's last down view goes stale and never adds to a later one",
			[3]script{diesAt(3, true), from(30), steady(false)}, -1, "m1"},
		{"the whole primary dies at step 10: exactly one failover, at step 10",
			[3]script{from(10), from(10), from(10)}, 10, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := policy()
			s := onPrimary()
			failoverAt, partitionedSeen := -1, ""
			var transitions []Decision
			store := map[string]VantageView{}
			for i := 0; i < 60; i++ {
				now := t0.Add(time.Duration(i) * time.Second)
				for m, f := range tc.members {
					down, publishes := f(i)
					if !publishes {
						continue
					}
					pr := up("primary", health.KindHealthy, t0)
					if down {
						pr = refusedAt(now)
					}
					name := fmt.Sprintf("m%d", m+1)
					store[name] = view(name, fmt.Sprintf("zone-%c", 'a'+m), now.Add(-time.Second), pr, up("standby", health.KindHealthy, t0))
				}
				var views []VantageView
				for _, v := range store {
					views = append(views, v)
				}
				combined, findings := Combine(views, p.Clusters, s.Active, q, now)
				for _, f := range findings {
					if f.Code == CodePartitionedFromPrimary {
						partitionedSeen = f.Member
					}
				}
				var d Decision
				s, d = Decide(s, combined, nil, now, p)
				if d.Transitions() {
					transitions = append(transitions, d)
					failoverAt = i
				}
			}
			if tc.wantFailoverAt < 0 && len(transitions) != 0 {
				t.Fatalf("transitions %+v, want none", transitions)
			}
			if tc.wantFailoverAt >= 0 && (len(transitions) != 1 || failoverAt != tc.wantFailoverAt || transitions[0].To != "standby") {
				t.Fatalf("transitions %+v (last at step %d), want one failover to standby at step %d", transitions, failoverAt, tc.wantFailoverAt)
			}
			if partitionedSeen != tc.wantPartitioned {
				t.Fatalf("partitioned finding named %q, want %q", partitionedSeen, tc.wantPartitioned)
			}
			if tc.wantFailoverAt >= 0 && !strings.Contains(transitions[0].Reason, "vantage points") {
				t.Errorf("failover reason %q should say how many vantage points agreed", transitions[0].Reason)
			}
		})
	}
}

// refusedAt is a primary whose every node refuses, as one member's watch reports it at now.
func refusedAt(now time.Time) health.Observation {
	o := down("primary", health.KindUnreachable)
	o.Detail, o.At = "connection refused by every node", now
	return o
}
