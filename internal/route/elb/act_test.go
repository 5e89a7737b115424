package elb

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/state"
)

// The target under act's real executor and a real bbolt store, clusters unfenced (no
// Elasticsearch here): what esdr run does with it.

func openStore(t *testing.T) *state.File {
	t.Helper()
	st, err := state.OpenFile(filepath.Join(t.TempDir(), "state.db"), state.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func executor(t *testing.T, st *state.File, tg act.Target) *act.Executor {
	t.Helper()
	e, err := act.New(st, act.Options{Targets: []act.Target{tg},
		Clusters: map[string]act.Cluster{"east": {NoFence: true}, "west": {NoFence: true}},
		Retry:    act.Retry{Attempts: 2, Backoff: time.Millisecond, AttemptTimeout: 20 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// commit stores the transition from → to at epoch as the control loop would, and
// returns what the loop hands to Act.
func commit(t *testing.T, st *state.File, from, to string, epoch uint64) (decide.State, decide.Decision) {
	t.Helper()
	ctx := context.Background()
	rec, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := decide.Decision{Action: decide.ActFailover, From: from, To: to, Epoch: epoch, Code: decide.CodeActiveDown, Reason: from + " is down"}
	s := decide.State{Active: to, Epoch: epoch, LastTransition: &decide.Transition{Kind: d.Action, From: from, To: to, Epoch: epoch,
		Code: d.Code, Reason: d.Reason}}
	if _, _, err := st.CommitDecision(ctx, rec.Revision, s); err != nil {
		t.Fatal(err)
	}
	return s, d
}

// TestPlanSwitchesAndReapplyRepairs: a failover plan switches the listener once; the
// same transition acted again changes nothing; after the listener is repointed behind
// esdr's back, Reapply (esdr reapply) puts it back with one ModifyListener, and a
// second Reapply changes nothing.
func TestPlanSwitchesAndReapplyRepairs(t *testing.T) {
	r := newRig(t, "application", ModeForward)
	st := openStore(t)
	e := executor(t, st, r.tg)
	ctx := context.Background()
	s, d := commit(t, st, "east", "west", 2)
	for range 2 {
		if err := e.Act(ctx, s, d); err != nil {
			t.Fatal(err)
		}
	}
	if p := e.Current(); p == nil || p.Status != act.StatusDone {
		t.Fatalf("plan: %+v", p)
	}
	r.forwardsTo(t, "west")
	if n := r.calls.Get("ModifyListener"); n != 1 {
		t.Fatalf("%d ModifyListener calls for one transition acted twice, want 1", n)
	}

	r.repoint(t, "east")
	for i, want := range []int{2, 2} {
		res, err := e.Reapply(ctx, "ops@test")
		if err != nil || len(res) != 1 || res[0].Target != r.tg.Name() || res[0].Error != "" {
			t.Fatalf("reapply %d: %+v %v", i, res, err)
		}
		r.forwardsTo(t, "west")
		if n := r.calls.Get("ModifyListener"); n != want {
			t.Fatalf("after reapply %d: %d ModifyListener calls, want %d", i, n, want)
		}
	}
}

// dying is the target as esdr dies under it: the listener is modified, then the process
// is gone before the step's outcome is journaled.
type dying struct {
	*Target
	die context.CancelFunc
}

func (d dying) Apply(ctx context.Context, sw act.Switch) error {
	if err := d.Target.Apply(ctx, sw); err != nil {
		return err
	}
	d.die()
	return ctx.Err()
}

// TestResumeAfterCrashMidSwitch: esdr dies after ModifyListener and before the switch
// step is journaled done; the next process resumes the plan, re-runs the step, which
// finds the listener right and does not modify it again.
func TestResumeAfterCrashMidSwitch(t *testing.T) {
	r := newRig(t, "network", ModeForward)
	st := openStore(t)
	ctx, die := context.WithCancel(context.Background())
	defer die()
	s, d := commit(t, st, "east", "west", 2)
	crashed := executor(t, st, dying{r.tg, die})
	if err := crashed.Act(ctx, s, d); !errors.Is(err, context.Canceled) {
		t.Fatalf("Act = %v, want the crash", err)
	}
	if p := crashed.Current(); p == nil || p.Steps[len(p.Steps)-1].Status != act.StatusRunning {
		t.Fatalf("plan at the crash: %+v, want the switch step running", p)
	}
	if n := r.calls.Get("ModifyListener"); n != 1 {
		t.Fatalf("%d ModifyListener calls before the crash, want 1", n)
	}
	reads := r.calls.Get("DescribeListeners")
	e := executor(t, st, r.tg)
	if err := e.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p := e.Current(); p == nil || p.Status != act.StatusDone || p.Epoch != 2 {
		t.Fatalf("after resume: %+v", p)
	}
	if r.calls.Get("DescribeListeners") == reads {
		t.Error("the resumed plan did not re-run the switch step (no DescribeListeners)")
	}
	r.forwardsTo(t, "west")
	if n := r.calls.Get("ModifyListener"); n != 1 {
		t.Errorf("%d ModifyListener calls after the resume, want still 1", n)
	}
}
