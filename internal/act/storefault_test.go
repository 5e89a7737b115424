package act

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/state"
)

// effects is what a failover east → west must do, each exactly once.
var effects = []string{"unfence west", "fence east", "switch a → west", "switch b → west"}

func TestStoreFailsBeforeThePlanIsJournaled(t *testing.T) {
	cases := []struct {
		name   string
		failOn func(op, key string) bool
	}{
		{"reading an earlier plan", func(op, key string) bool { return op == "get" && strings.HasPrefix(key, "plans/") }},
		{"reading the approval", func(op, key string) bool { return op == "get" && strings.HasPrefix(key, "approvals/") }},
		{"first journal write", func(op, key string) bool { return op == "put" && key == "plans/"+epochKey(2) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t)
			e, fs := flakyExecutor(t, r)
			fs.failOn = c.failOn
			s, d := commit(t, r.st, decide.ActFailover, "east", "west", 2)
			p := wantInterrupted(t, e, e.Act(context.Background(), s, d), 1)
			if p.Epoch != 2 || p.To != "west" || len(r.j.list()) != 0 {
				t.Fatalf("Current() = %+v, side effects %q; want the plan, nothing run", p, r.j.list())
			}
			// Still down: the retry fails too, runs nothing, and is counted.
			e.retryPlan(context.Background())
			wantFailed(t, e, 2)
			if len(r.j.list()) != 0 {
				t.Fatalf("side effects while the store is down: %q", r.j.list())
			}
			fs.up()
			e.retryPlan(context.Background())
			if got := r.j.list(); !slices.Equal(got, effects) {
				t.Errorf("side effects %q, want %q", got, effects)
			}
			wantDone(t, e, r, 2, 2)
		})
	}
}

func TestStoreFailsBeforeAStep(t *testing.T) {
	for _, op := range []string{"load", "put"} { // the epoch check, the "running" write
		t.Run(op, func(t *testing.T) {
			r := newRig(t)
			e, fs := flakyExecutor(t, r)
			e.afterStep = func(_ *Plan, i int) {
				if i == 1 { // after the fence: the next step is switch a
					fs.failNext(op)
				}
			}
			s, d := commit(t, r.st, decide.ActFailover, "east", "west", 2)
			p := wantInterrupted(t, e, e.Act(context.Background(), s, d), 1)
			if p.Steps[2].Status == StatusDone || len(r.j.list()) != 2 {
				t.Fatalf("at the failure: %q, side effects %q", statuses(p), r.j.list())
			}
			fs.up()
			e.afterStep = nil
			e.retryPlan(context.Background())
			if got := r.j.list(); !slices.Equal(got, effects) {
				t.Errorf("side effects %q, want %q", got, effects)
			}
			wantDone(t, e, r, 2, 1)
		})
	}
}

func TestStoreFailsAfterAStepRan(t *testing.T) {
	r := newRig(t)
	e, fs := flakyExecutor(t, r)
	r.a.onApply = func(context.Context, Switch) error { fs.failNext("put"); return nil }
	s, d := commit(t, r.st, decide.ActFailover, "east", "west", 2)
	p := wantInterrupted(t, e, e.Act(context.Background(), s, d), 1)
	// Memory knows the switch was made; the journal, which the retry trusts, does not.
	if p.Steps[2].Status != StatusDone || p.Steps[3].Status != StatusPending {
		t.Fatalf("Current() at the failure: %q", statuses(p))
	}
	if jp := stored(t, r.st, 2); jp.Status != StatusRunning || jp.Steps[2].Status != StatusRunning {
		t.Fatalf("journal at the failure: %s %q", jp.Status, statuses(jp))
	}
	r.a.onApply = nil
	fs.up()
	e.retryPlan(context.Background())
	// The unrecorded step runs again and changes nothing; nothing else runs twice.
	if calls, changes := r.a.counts(); calls != 2 || changes != 1 {
		t.Errorf("target a: %d calls, %d changes; want re-run once, one change", calls, changes)
	}
	if got := r.j.list(); !slices.Equal(got, effects) {
		t.Errorf("side effects %q, want %q", got, effects)
	}
	wantDone(t, e, r, 2, 1)
}

func TestStoreFailsOnThePlansOutcome(t *testing.T) {
	r := newRig(t)
	e, fs := flakyExecutor(t, r)
	e.afterStep = func(p *Plan, i int) {
		if i == len(p.Steps)-1 {
			fs.failNext("put")
		}
	}
	s, d := commit(t, r.st, decide.ActFailover, "east", "west", 2)
	p := wantInterrupted(t, e, e.Act(context.Background(), s, d), 1)
	for _, st := range p.Steps {
		if st.Status != StatusDone {
			t.Fatalf("Current() at the failure: %q, want every step done", statuses(p))
		}
	}
	if jp := stored(t, r.st, 2); jp.Status != StatusRunning {
		t.Fatalf("journal at the failure: %s", jp.Status)
	}
	fs.up()
	e.afterStep = nil
	e.retryPlan(context.Background())
	for _, tg := range []*fakeTarget{r.a, r.b} {
		if calls, _ := tg.counts(); calls != 1 {
			t.Errorf("target %s called %d times, want once: every step was journaled", tg.name, calls)
		}
	}
	wantDone(t, e, r, 2, 1)
}

func TestStoreFailureThenNewerEpochSupersedes(t *testing.T) {
	cases := []struct {
		name string
		arm  func(r *rig, fs *flakyStore)
		ran  int // side effects before the failure
	}{
		{"never journaled", func(_ *rig, fs *flakyStore) { fs.failNext("put") }, 0},
		{"after a step ran", func(r *rig, fs *flakyStore) {
			r.a.onApply = func(context.Context, Switch) error { fs.failNext("put"); return nil }
		}, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t)
			e, fs := flakyExecutor(t, r)
			c.arm(r, fs)
			s, d := commit(t, r.st, decide.ActFailover, "east", "west", 2)
			wantInterrupted(t, e, e.Act(context.Background(), s, d), 1)
			if n := len(r.j.list()); n != c.ran {
				t.Fatalf("side effects before the failure: %q", r.j.list())
			}
			r.a.onApply = nil
			// Another round (or another esdr) stores epoch 3 while the store comes back.
			commit(t, r.st, decide.ActSwitchover, "west", "east", 3)
			fs.up()
			e.retryPlan(context.Background())
			if n := len(r.j.list()); n != c.ran {
				t.Errorf("the superseded plan ran steps: %q", r.j.list())
			}
			if p := stored(t, r.st, 2); p.Status != StatusSuperseded {
				t.Errorf("journal: plan 2 %s %q, want superseded", p.Status, statuses(p))
			}
			if p := e.Current(); p == nil || p.Status != StatusSuperseded || p.StoreError != "" {
				t.Errorf("Current() = %+v, want plan 2 superseded", p)
			}
			// Settled: a further retry does nothing.
			e.retryPlan(context.Background())
			if n := len(r.j.list()); n != c.ran {
				t.Errorf("a later retry ran steps: %q", r.j.list())
			}
		})
	}
}

func TestStoreFailureNeverRunsAPlanForAnEpochNotStored(t *testing.T) {
	r := newRig(t)
	e, fs := flakyExecutor(t, r)
	fs.failNext("put")
	s, d := commit(t, r.st, decide.ActFailover, "east", "west", 2)
	wantInterrupted(t, e, e.Act(context.Background(), s, d), 1)
	// The stored state goes back to epoch 1 (restored from a backup, say).
	commit(t, r.st, decide.ActFailover, "west", "east", 1)
	fs.up()
	e.retryPlan(context.Background())
	if len(r.j.list()) != 0 {
		t.Errorf("a plan for an epoch not stored ran: %q", r.j.list())
	}
	if p := e.Current(); p == nil || p.Status != StatusFailed || p.Epoch != 2 {
		t.Errorf("Current() = %+v, want plan 2 still failed", p)
	}
}

// A store that refuses this process because another member leads the fleet did not
// fail: nothing is counted or recorded, and the plan is not shown running either.
func TestStoreRefusingANonLeaderIsNotAStoreFailure(t *testing.T) {
	r := newRig(t)
	e, fs := flakyExecutor(t, r)
	fs.cause = state.ErrNotLeader
	fs.failNext("put")
	s, d := commit(t, r.st, decide.ActFailover, "east", "west", 2)
	if err := e.Act(context.Background(), s, d); !errors.Is(err, state.ErrNotLeader) {
		t.Fatalf("Act = %v, want not leader", err)
	}
	if p := e.Current(); p == nil || p.Status != StatusFailed || !strings.Contains(p.StoreError, "not the leader") {
		t.Fatalf("Current() = %+v", p)
	}
	if n := testutil.ToFloat64(e.m.storeErrors); n != 0 {
		t.Errorf("esdr_plan_store_errors_total = %v, want 0", n)
	}
	fs.up()
	e.flushFaults(context.Background())
	if evs := strings.Join(actedEvents(t, r.st), "\n"); strings.Contains(evs, "interrupted by the state store") {
		t.Errorf("a store-failure event for a refused non-leader:\n%s", evs)
	}
}
