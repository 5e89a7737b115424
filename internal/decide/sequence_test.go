package decide

import (
	"reflect"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/health"
)

// run drives Decide through a timeline the way the control loop does, returning the
// final state and every transition taken.
func run(t *testing.T, s State, p Policy, step time.Duration, n int, at func(i int, now time.Time) Observations) (State, []Decision) {
	t.Helper()
	var transitions []Decision
	for i := 0; i < n; i++ {
		now := t0.Add(time.Duration(i) * step)
		var d Decision
		s, d = Decide(s, at(i, now), nil, now, p)
		if d.Transitions() {
			transitions = append(transitions, d)
		}
	}
	return s, transitions
}

func TestFlappingPrimaryFailsOverAtMostOnceInsideHoldDown(t *testing.T) {
	p := policy()
	p.Failback = FailbackAuto
	p.FailbackAfter = 20 * time.Second
	var since time.Time
	last := health.VerdictUp
	// The primary flips every 4 s for 5 minutes; the standby stays up throughout.
	final, tr := run(t, onPrimary(), p, time.Second, 300, func(i int, now time.Time) Observations {
		v := health.VerdictUp
		if (i/4)%2 == 1 {
			v = health.VerdictDown
		}
		if v != last {
			since, last = now, v
		}
		pr := health.Observation{Cluster: "primary", Verdict: v, Since: since, Last: health.KindHealthy}
		if v == health.VerdictDown {
			pr.Last = health.KindUnreachable
		}
		return obs(pr, up("standby", health.KindHealthy, t0))
	})
	if len(tr) != 1 || tr[0].Action != ActFailover {
		t.Fatalf("transitions = %+v, want exactly one failover", tr)
	}
	if final.Active != "standby" || final.Epoch != 2 {
		t.Fatalf("final = %s@%d, want standby@2", final.Active, final.Epoch)
	}
}

func TestAutoFailbackAfterSustainedHealth(t *testing.T) {
	p := policy()
	p.Failback = FailbackAuto
	p.HoldDown = 30 * time.Second
	p.FailbackAfter = time.Minute
	// Primary down for 10 s, then up for good.
	final, tr := run(t, onPrimary(), p, time.Second, 200, func(i int, now time.Time) Observations {
		if i < 10 {
			return obs(down("primary", health.KindUnreachable), up("standby", health.KindHealthy, t0))
		}
		return obs(up("primary", health.KindHealthy, t0.Add(10*time.Second)), up("standby", health.KindHealthy, t0))
	})
	if len(tr) != 2 || tr[0].Action != ActFailover || tr[1].Action != ActFailback {
		t.Fatalf("transitions = %+v, want failover then failback", tr)
	}
	if got := tr[1]; got.To != "primary" || got.Epoch != 3 {
		t.Fatalf("failback = %+v, want to primary at epoch 3", got)
	}
	if final.Active != "primary" {
		t.Fatalf("final active %s", final.Active)
	}
}

func TestFailoverStartsHoldDownAndRecordsTransition(t *testing.T) {
	next, d := Decide(onPrimary(), obs(down("primary", health.KindUnreachable), up("standby", health.KindHealthy, t0)), nil, t0, policy())
	if !next.HoldDownUntil.Equal(t0.Add(10 * time.Minute)) {
		t.Fatalf("hold-down until %v", next.HoldDownUntil)
	}
	lt := next.LastTransition
	if lt == nil || lt.From != "primary" || lt.To != "standby" || lt.Epoch != 2 || lt.Kind != ActFailover || lt.Reason != d.Reason {
		t.Fatalf("last transition = %+v", lt)
	}
	if !next.ActiveSince.Equal(t0) {
		t.Fatalf("active since %v", next.ActiveSince)
	}
}

func TestSwitchoverClearsHoldDown(t *testing.T) {
	next, _ := Decide(held(onStandby()), obs(up("primary", health.KindHealthy, t0)), &Command{Kind: CmdSwitchover, To: "primary"}, t0, policy())
	if !next.HoldDownUntil.IsZero() {
		t.Fatalf("hold-down still %v after an operator switchover", next.HoldDownUntil)
	}
}

func TestDecideIsPure(t *testing.T) {
	prev := held(onPrimary())
	prev.LastTransition = &Transition{Kind: ActFailover, From: "standby", To: "primary", Epoch: 1}
	copyPrev := prev
	lt := *prev.LastTransition
	o := obs(down("primary", health.KindUnreachable), up("standby", health.KindHealthy, t0))
	a, da := Decide(prev, o, nil, t0.Add(time.Hour), policy())
	b, db := Decide(prev, o, nil, t0.Add(time.Hour), policy())
	if !reflect.DeepEqual(a, b) || da != db {
		t.Fatal("same inputs gave different outputs")
	}
	if !reflect.DeepEqual(prev, copyPrev) || *prev.LastTransition != lt {
		t.Fatal("Decide mutated its input state")
	}
}

func TestEveryCodeIsDescribed(t *testing.T) {
	for c, m := range Catalogue {
		if m.Description == "" {
			t.Errorf("code %s has no description", c)
		}
		if c.Describe() != m.Description {
			t.Errorf("Describe(%s) mismatch", c)
		}
	}
	actionable := 0
	for _, m := range Catalogue {
		if m.Actionable {
			actionable++
		}
	}
	if actionable == 0 {
		t.Fatal("no actionable code: the catalogue cannot justify any transition")
	}
}

func TestStateEqual(t *testing.T) {
	a := held(onStandby())
	a.LastTransition = &Transition{Kind: ActFailover, From: "primary", To: "standby", Epoch: 2, At: t0}
	b := a
	lt := *a.LastTransition
	lt.At = t0.In(time.FixedZone("x", 3600))
	b.LastTransition = &lt
	if !a.Equal(b) {
		t.Fatal("same instants in other zones must be equal")
	}
	b.Epoch++
	if a.Equal(b) {
		t.Fatal("different epochs must differ")
	}
	if (State{}).Equal(a) {
		t.Fatal("zero state equals a real one")
	}
}
