package act

import (
	"context"
	"errors"
	"testing"

	"github.com/esdr/esdr/internal/decide"
)

// crashAfter returns a context that is cancelled after step n's outcome is journaled,
// as if esdr died there, and the executor to crash. The store stays as the crash left it.
func crashAfter(t *testing.T, r *rig, n int) (*Executor, context.Context) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	e := r.executor(t, nil)
	e.afterStep = func(_ *Plan, i int) {
		if i == n {
			cancel()
		}
	}
	return e, ctx
}

func TestResumeAfterCrashBetweenSteps(t *testing.T) {
	for n := range 4 {
		t.Run(string(rune('0'+n)), func(t *testing.T) {
			r := newRig(t)
			e, ctx := crashAfter(t, r, n)
			s, d := commit(t, r.st, decide.ActFailover, "east", "west", 2)
			if err := e.Act(ctx, s, d); n < 3 && !errors.Is(err, context.Canceled) {
				t.Fatalf("Act = %v, want the crash", err)
			}
			// A new process: same store, fresh executor, fresh fakes' state kept.
			if err := r.executor(t, nil).Resume(context.Background()); err != nil {
				t.Fatal(err)
			}
			p := stored(t, r.st, 2)
			if p.Status != StatusDone {
				t.Fatalf("after resume: %s %q", p.Status, statuses(p))
			}
			for _, tg := range []*fakeTarget{r.a, r.b} {
				if calls, changes := tg.counts(); calls != 1 || changes != 1 {
					t.Errorf("target %s: %d calls, %d changes; want exactly one apply", tg.name, calls, changes)
				}
			}
			if puts, ro := r.east.state(); puts != 1 || ro != true {
				t.Errorf("east fenced %d times (read_only %v), want once", puts, ro)
			}
		})
	}
}

func TestResumeReRunsStepInterruptedMidway(t *testing.T) {
	r := newRig(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// esdr dies while target b is being switched: b's step stays "running".
	r.b.onApply = func(ctx context.Context, sw Switch) error {
		cancel()
		return ctx.Err()
	}
	s, d := commit(t, r.st, decide.ActFailover, "east", "west", 2)
	if err := r.executor(t, nil).Act(ctx, s, d); !errors.Is(err, context.Canceled) {
		t.Fatalf("Act = %v", err)
	}
	p := stored(t, r.st, 2)
	if p.Steps[3].Status != StatusRunning || p.Steps[2].Status != StatusDone {
		t.Fatalf("journal at the crash: %q", statuses(p))
	}
	r.b.onApply = nil
	if err := r.executor(t, nil).Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The running step is re-run (idempotent: one change), the done one is not.
	if calls, changes := r.b.counts(); calls != 2 || changes != 1 {
		t.Errorf("target b: %d calls, %d changes; want re-run once with one change", calls, changes)
	}
	if calls, _ := r.a.counts(); calls != 1 {
		t.Errorf("target a (done before the crash) called %d times", calls)
	}
	if p := stored(t, r.st, 2); p.Status != StatusDone {
		t.Errorf("after resume: %q", statuses(p))
	}
}

func TestResumeBuildsPlanFromStoredTransition(t *testing.T) {
	// esdr died after the loop stored the decision and before Act journaled a plan.
	r := newRig(t)
	commit(t, r.st, decide.ActFailover, "east", "west", 2)
	e := r.executor(t, nil)
	if err := e.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p := e.Current(); p == nil || p.Status != StatusDone || p.From != "east" || p.To != "west" {
		t.Fatalf("Current() = %+v", p)
	}
	if _, changes := r.a.counts(); changes != 1 {
		t.Error("target a not switched on resume")
	}
	// A second restart finds the plan done and does nothing.
	if err := r.executor(t, nil).Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	if calls, _ := r.a.counts(); calls != 1 {
		t.Errorf("target a called %d times after two resumes", calls)
	}
}

func TestResumeOnFreshStoreDoesNothing(t *testing.T) {
	r := newRig(t)
	e := r.executor(t, nil)
	if err := e.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	if e.Current() != nil || len(r.j.list()) != 0 {
		t.Error("resume on an empty store acted")
	}
}

// A plan that does not end done on resume is left to Run: Resume's error would stop
// esdr (the proxy with it) and nothing would retry the plan.
func TestResumeLeavesAnUnfinishedPlanToRun(t *testing.T) {
	t.Run("failed step", func(t *testing.T) {
		r := newRig(t)
		r.a.fail = 4 // 3 attempts in Act, 1 on resume, then it works
		s, d := commit(t, r.st, decide.ActFailover, "east", "west", 2)
		if err := r.executor(t, nil).Act(context.Background(), s, d); err == nil {
			t.Fatal("want the plan to fail")
		}
		e := r.executor(t, func(o *Options) { o.Retry.Attempts = 1 })
		if err := e.Resume(context.Background()); err != nil {
			t.Fatalf("Resume = %v, want nil: Run retries the plan", err)
		}
		if p := e.Current(); p == nil || p.Status != StatusFailed {
			t.Fatalf("Current() = %+v", p)
		}
		e.retryPlan(context.Background())
		if p := stored(t, r.st, 2); p.Status != StatusDone {
			t.Errorf("after Run's retry: %s %q", p.Status, statuses(p))
		}
	})
	t.Run("store error", func(t *testing.T) {
		r := newRig(t)
		commit(t, r.st, decide.ActFailover, "east", "west", 2) // no plan journaled yet
		e, fs := flakyExecutor(t, r)
		r.a.onApply = func(context.Context, Switch) error { fs.failNext("put"); return nil }
		if err := e.Resume(context.Background()); err != nil {
			t.Fatalf("Resume = %v, want nil: Run retries the plan", err)
		}
		wantFailed(t, e, 1)
		r.a.onApply = nil
		fs.up()
		e.retryPlan(context.Background())
		if calls, changes := r.a.counts(); calls != 2 || changes != 1 {
			t.Errorf("target a: %d calls, %d changes", calls, changes)
		}
		wantDone(t, e, r, 2, 1)
	})
}
