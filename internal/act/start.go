package act

import (
	"context"
	"fmt"

	"github.com/esdr/esdr/internal/decide"
)

// Act carries out a transition the loop has stored: it journals the plan and runs it to
// the end, step by step. It returns when the plan is done, failed (Run attempts it
// again), vetoed or superseded, or when ctx ends (the plan is resumed on restart).
// Decisions that do not change the active cluster are ignored.
//
// When the state store fails — the plan cannot be journaled, or a step's outcome or
// the plan's cannot — Act returns the error and Current shows the plan failed with
// its StoreError; Run retries it from the journal (see retryFromJournal).
func (e *Executor) Act(ctx context.Context, s decide.State, d decide.Decision) error {
	if !d.Transitions() {
		return nil
	}
	e.run.Lock()
	defer e.run.Unlock()
	t := transitionOf(s, d, e.opts.Now())
	p, err := loadPlan(ctx, e.st, t.Epoch)
	if err != nil {
		return e.interrupted(ctx, newPlan(t, &e.opts, nil, e.opts.Now()), &storeError{err})
	}
	if p == nil || !p.matches(t) {
		if p, err = e.startPlan(ctx, t); err != nil {
			return err
		}
	}
	return e.finish(ctx, p)
}

// Resume loads the deferred fences and finishes the plan of the stored epoch if a crash
// interrupted it. When the state records a transition for which no plan was journaled
// (esdr died between storing the decision and journaling its plan), the plan is built
// from the state and run: the stored state is the truth.
//
// It returns an error when it cannot read the fences, the state or the plan (esdr
// stops at once, as the control loop does when it cannot read the state at start) or
// when ctx ends. A resumed plan that fails — a step, or the store under it — is logged
// and left to Run, which retries it: it does not stop esdr.
func (e *Executor) Resume(ctx context.Context) error {
	if err := e.loadFences(ctx); err != nil {
		return err
	}
	rec, err := e.st.Load(ctx)
	if err != nil {
		return fmt.Errorf("act: resume: %w", err)
	}
	s := rec.State
	if !s.Initialized() {
		return nil
	}
	e.run.Lock()
	defer e.run.Unlock()
	p, err := loadPlan(ctx, e.st, s.Epoch)
	if err != nil {
		return fmt.Errorf("act: resume: %w", err)
	}
	if p == nil {
		lt := s.LastTransition
		if lt == nil || lt.Epoch != s.Epoch {
			return nil
		}
		p, err = e.startPlan(ctx, transitionFromState(lt))
	}
	if err == nil {
		err = e.finish(ctx, p)
	}
	if err != nil && ctx.Err() == nil {
		e.opts.Log.Warn("resumed plan did not end done; Run takes it from here", "epoch", s.Epoch, "err", err)
		return nil
	}
	return err
}

// finish makes p the current plan and runs it if it has work left.
func (e *Executor) finish(ctx context.Context, p *Plan) error {
	e.setCurrent(p)
	if !p.Open() {
		return nil
	}
	return e.interrupted(ctx, p, e.execute(ctx, p))
}

// startPlan builds and journals the plan for t, and marks an unfinished plan of the
// previous epoch superseded so the journal never shows two running plans.
func (e *Executor) startPlan(ctx context.Context, t transition) (*Plan, error) {
	ok, err := loadApproval(ctx, e.st, t.Epoch)
	if err != nil {
		return nil, e.interrupted(ctx, newPlan(t, &e.opts, nil, e.opts.Now()), &storeError{err})
	}
	p := newPlan(t, &e.opts, ok, e.opts.Now())
	if err := savePlan(ctx, e.st, p); err != nil {
		return nil, e.interrupted(ctx, p, storeErr("act: plan for epoch %d: not journaled: %w", p.Epoch, err))
	}
	if t.Epoch > 1 {
		e.supersedePrevious(ctx, t.Epoch)
	}
	e.event(ctx, p, "", fmt.Sprintf("plan for epoch %d (%s %s → %s): %d steps", p.Epoch, p.Action, p.From, p.To, len(p.Steps)))
	return p, nil
}

// supersedePrevious marks the plan of epoch-1 superseded if it is still open in the
// journal. Only the record is at stake (no step of it runs once epoch is stored: each
// checks the epoch first), so a store failure here is logged, not returned.
func (e *Executor) supersedePrevious(ctx context.Context, epoch uint64) {
	old, err := loadPlan(ctx, e.st, epoch-1)
	if err == nil && old != nil && old.Open() {
		err = e.supersede(ctx, old, 0)
	}
	if err != nil {
		e.opts.Log.Warn("the previous plan could not be marked superseded", "epoch", epoch-1, "err", err)
	}
}
