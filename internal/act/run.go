package act

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/esdr/esdr/internal/state"
)

// Run is the executor's background work, until ctx ends: every RetryInterval, and as
// soon as Seen says a cluster answers again, it retries the deferred fences and then the
// current plan if it failed. Failures are recorded as events and in the journal, and
// logged; it returns an error (wrapping ErrNotLeader) only when a deferred fence or a
// plan's retry is refused because this process no longer leads: a deposed leader stops
// retrying.
//
// Call Resume before Run and before the control loop starts, so a plan interrupted by a
// crash is finished before anything new is decided.
func (e *Executor) Run(ctx context.Context) error {
	t := time.NewTicker(e.opts.RetryInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-e.kick:
		}
		if err := e.retryFences(ctx); err != nil {
			return err
		}
		if err := e.retryPlan(ctx); err != nil {
			return err
		}
	}
}

// Seen tells Run that cluster answered a probe, so a deferred fence of it is tried now
// rather than at the next tick ("fenced as soon as it is seen again"). It never blocks;
// wire it to the watch step's results.
func (e *Executor) Seen(cluster string) {
	e.mu.Lock()
	f, pending := e.fences[cluster]
	// The first sighting of a cluster whose fence is owed cuts a plan retry under way, so
	// that the fence does not wait behind a target that hangs; later ones do not, or a
	// fence that keeps failing on a cluster that answers probes would starve the retry.
	first := pending && e.preemptedFor[cluster] != f.Epoch
	if first {
		e.preemptedFor[cluster] = f.Epoch
	}
	e.mu.Unlock()
	if !pending {
		return
	}
	if first {
		e.interruptRetry()
	}
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// retryPlan first records the store failures not recorded yet, then runs the current
// plan again if it failed. Its done steps stay done; its failed ones are tried again,
// and nothing runs if a newer epoch was stored meanwhile. A plan a store failure
// interrupted is taken up from the journal, not from memory (see retryFromJournal).
func (e *Executor) retryPlan(ctx context.Context) error {
	e.run.Lock()
	defer e.run.Unlock()
	e.flushFaults(ctx)
	p := e.Current()
	if p == nil || p.Status != StatusFailed || e.queued.Load() > 0 {
		return nil // a newer plan is about to run: it supersedes this one
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	e.mu.Lock()
	e.preempt = cancel
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.preempt = nil
		e.mu.Unlock()
	}()
	var err error
	if p.StoreError != "" {
		err = e.retryFromJournal(rctx, p)
	} else {
		err = e.interrupted(rctx, p, e.execute(rctx, p))
	}
	if rctx.Err() != nil && ctx.Err() == nil {
		e.preempted(ctx, p)
		return nil
	}
	if errors.Is(err, ErrNotLeader) || errors.Is(err, state.ErrNotLeader) {
		return fmt.Errorf("act: plan for epoch %d: %w", p.Epoch, err)
	}
	if err != nil && ctx.Err() == nil && !errors.Is(err, ErrSuperseded) {
		e.opts.Log.Warn("plan still failing", "epoch", p.Epoch, "err", err)
	}
	return nil
}

// interruptRetry cuts a retry of a failed plan that Run has under way, if any: whatever
// calls it (a newer plan, a fence of a cluster seen again) takes the executor next.
func (e *Executor) interruptRetry() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.preempt != nil {
		e.preempt()
	}
}

// preempted records a retry cut by interruptRetry: the plan is failed again, its step
// under way failed with why, so that the next tick retries it (a newer plan supersedes
// it instead). Whether the cut step took effect is unknown; every step is idempotent.
func (e *Executor) preempted(ctx context.Context, p *Plan) {
	for i := range p.Steps {
		if st := &p.Steps[i]; st.Status == StatusRunning {
			st.Status, st.Finished = StatusFailed, e.opts.Now()
			st.Error = "interrupted, to let a newer plan or a fence go first; retried"
		}
	}
	p.Status, p.Finished = StatusFailed, e.opts.Now()
	if err := e.save(ctx, p, "its interrupted retry"); err != nil {
		e.opts.Log.Warn("an interrupted plan retry was not journaled", "epoch", p.Epoch, "err", err)
	}
}

// lockAhead takes run ahead of Run's retry of a failed plan: a retry under way is cut and
// none starts while this waits. For what must not wait behind a target that hangs.
func (e *Executor) lockAhead() {
	e.queued.Add(1)
	e.interruptRetry()
	e.run.Lock()
	e.queued.Add(-1)
}
