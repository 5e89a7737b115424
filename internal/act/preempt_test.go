package act

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/testbed/poll"
)

// TestANewerPlanDoesNotWaitBehindTheRetryOfAHangingTarget: target a fails, so the plan
// of epoch 2 is retried by Run; on the retry a hangs (answers nothing until its context
// ends, as a DNS server that drops packets does). The plan of epoch 3 then starts at
// once — its unfence of the new active cluster does not wait for the hung attempt —
// and the plan of epoch 2 is superseded.
func TestANewerPlanDoesNotWaitBehindTheRetryOfAHangingTarget(t *testing.T) {
	r := newRig(t)
	var hanging atomic.Bool
	entered := make(chan struct{}, 1)
	r.a.onApply = func(ctx context.Context, sw Switch) error {
		if sw.Epoch == 2 && hanging.Load() {
			select {
			case entered <- struct{}{}:
			default:
			}
			<-ctx.Done() // held until the executor cuts it
			return ctx.Err()
		}
		if sw.Epoch == 2 {
			return errors.New("fake: refused")
		}
		return nil
	}
	e := r.executor(t, func(o *Options) {
		o.RetryInterval = time.Millisecond
		o.Retry.AttemptTimeout = time.Hour // the hung attempt is never cut by its own bound
	})
	s, d := commit(t, r.st, decide.ActSwitchover, "east", "west", 2)
	if err := e.Act(context.Background(), s, d); err == nil {
		t.Fatal("the plan of epoch 2 succeeded, want target a failing")
	}
	hanging.Store(true)
	runUntilHung(t, e, entered)
	s, d = commit(t, r.st, decide.ActSwitchover, "west", "east", 3)
	acted := make(chan error, 1)
	go func() { acted <- e.Act(context.Background(), s, d) }()
	select {
	case err := <-acted:
		if err != nil {
			t.Fatalf("the plan of epoch 3: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the plan of epoch 3 is still waiting behind the hung retry of epoch 2")
	}
	if p := stored(t, r.st, 3); p.Status != StatusDone {
		t.Errorf("plan 3: %s %v", p.Status, statuses(p))
	}
	if p := stored(t, r.st, 2); p.Status != StatusSuperseded {
		t.Errorf("plan 2: %s %v, want superseded", p.Status, statuses(p))
	}
	if _, ro := r.east.state(); ro != nil {
		t.Errorf("east, active in epoch 3, has read_only %v", ro)
	}
}

// TestAClusterSeenAgainIsFencedWithoutWaitingForAHangingTarget: the old active cluster
// was unreachable (its fence deferred) and target a failed; on Run's retry a hangs. When
// the old cluster answers again, its fence is applied at once, not after the hung
// attempt's bound.
func TestAClusterSeenAgainIsFencedWithoutWaitingForAHangingTarget(t *testing.T) {
	r := newRig(t)
	r.east.setErr(refused)
	var hanging atomic.Bool
	entered := make(chan struct{}, 1)
	r.a.onApply = func(ctx context.Context, sw Switch) error {
		if !hanging.Load() {
			return errors.New("fake: refused")
		}
		select {
		case entered <- struct{}{}:
		default:
		}
		<-ctx.Done()
		return ctx.Err()
	}
	e := r.executor(t, func(o *Options) {
		o.RetryInterval = time.Millisecond
		o.Retry.AttemptTimeout = time.Hour
	})
	s, d := commit(t, r.st, decide.ActFailover, "east", "west", 2)
	if err := e.Act(context.Background(), s, d); err == nil {
		t.Fatal("the plan succeeded, want target a failing")
	}
	if len(e.PendingFences()) != 1 {
		t.Fatalf("fences owed: %v, want east's", e.PendingFences())
	}
	hanging.Store(true)
	runUntilHung(t, e, entered)
	r.east.setErr(nil)
	e.Seen("east")
	poll.Eventually(t, "east fenced once seen again, while target a hangs", 30*time.Second,
		func() bool { return len(e.PendingFences()) == 0 })
	if _, ro := r.east.state(); ro != true {
		t.Errorf("east's read_only is %v, want true", ro)
	}
}

// runUntilHung runs e's background work until the test ends, and returns once its retry
// of a failed plan is held in a hanging target (entered receives).
func runUntilHung(t *testing.T, e *Executor, entered <-chan struct{}) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	select {
	case <-entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the retry did not reach the hanging target")
	}
}
