package act

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/state"
)

// A plan's journal lives in the state store (a bbolt file, or etcd in a fleet), and the
// store can fail in the middle of a plan: an etcd timeout, a full disk under the bbolt
// file. The decision is already stored then — the epoch moved and the proxy follows it —
// so the plan must not be forgotten: it is marked failed in memory (Current, with
// StoreError) and Run retries it from the journal until it is done or superseded.
//
// Where the store can fail, and what the retry then does:
//
//   - before the plan was journaled (reading an earlier plan or the approval, or the
//     first write): nothing ran; the retry finds no plan for the epoch and starts it
//     again from the stored state's transition;
//   - at the epoch check or the "running" write before a step: the step did not run;
//     the retry runs it;
//   - at the write of a step's outcome: the step ran, the journal still says
//     "running"; the retry runs it again, which its idempotency makes harmless (a target
//     holding the epoch changes nothing, a fence already set is set again);
//   - at the write of the plan's outcome: every step is journaled; the retry runs
//     nothing and records the outcome.
//
// In every case the retry first reads the stored epoch: a plan whose epoch was replaced
// meanwhile is superseded and none of its steps runs again.

// storeError marks a failure of the state store that interrupted a plan.
type storeError struct{ err error }

func (s *storeError) Error() string { return s.err.Error() }
func (s *storeError) Unwrap() error { return s.err }

func storeErr(format string, args ...any) error {
	return &storeError{fmt.Errorf(format, args...)}
}

// storeFault is a store failure whose event is not written yet: events go to the store
// too, so it is written by the first retry that finds the store taking writes again.
// A fault is never changed once published; a repeat replaces it.
type storeFault struct {
	epoch    uint64
	code     decide.Code
	from, to string
	since    time.Time
	count    int
	last     string
}

// maxFaults bounds the faults kept for events while the store is down; one per epoch.
const maxFaults = 8

// interrupted handles the error p stopped on and returns it. A store error (not the
// end of ctx: a shutdown is resumed on restart, and a fleet member's term that ended
// hands the plan to the next leader) makes p, as far as it got in memory, the current
// plan with status failed and StoreError set, so that Run retries it; it is counted
// and kept for an event. A store that refuses this process because another member
// leads the fleet is not a failure of the store and is not counted.
func (e *Executor) interrupted(ctx context.Context, p *Plan, err error) error {
	var se *storeError
	if err == nil || ctx.Err() != nil || !errors.As(err, &se) {
		return err
	}
	q := p.Clone()
	q.Status, q.Finished, q.StoreError = StatusFailed, time.Time{}, truncate(err.Error(), 500)
	e.setCurrent(q)
	if errors.Is(err, state.ErrNotLeader) {
		return err
	}
	e.m.storeErrors.Inc()
	f := &storeFault{epoch: p.Epoch, code: p.Code, from: p.From, to: p.To, since: e.opts.Now(), count: 1, last: q.StoreError}
	e.mu.Lock()
	if n := len(e.faults); n > 0 && e.faults[n-1].epoch == p.Epoch {
		f.since, f.count = e.faults[n-1].since, e.faults[n-1].count+1
		e.faults[n-1] = f
	} else if n < maxFaults {
		e.faults = append(e.faults, f)
	}
	e.mu.Unlock()
	return fmt.Errorf("%w; the plan is retried from the journal every %s", err, e.opts.RetryInterval)
}

// flushFaults writes an event for every store fault not recorded yet, and stops at the
// first the store refuses (it is still failing; the next retry tries again).
func (e *Executor) flushFaults(ctx context.Context) {
	e.mu.Lock()
	faults := append([]*storeFault(nil), e.faults...)
	e.mu.Unlock()
	for _, f := range faults {
		msg := fmt.Sprintf("plan for epoch %d interrupted by the state store %d time(s) since %s, recorded now that it takes writes again; last: %s",
			f.epoch, f.count, f.since.Format(time.RFC3339), f.last)
		wctx, cancel := detached(ctx)
		_, err := e.st.Append(wctx, state.Event{At: e.opts.Now(), Kind: state.EventActed, Code: f.code, From: f.from, To: f.to,
			Epoch: f.epoch, Message: msg})
		cancel()
		if err != nil {
			return
		}
		e.mu.Lock()
		for i, g := range e.faults {
			if g == f {
				e.faults = append(e.faults[:i], e.faults[i+1:]...)
				break
			}
		}
		e.mu.Unlock()
	}
}

// retryFromJournal carries on with p, which a store failure interrupted, from what the
// journal holds: the store is the truth, and the in-memory plan may be ahead of it (a
// step that ran but whose outcome was not recorded) or may never have been journaled.
func (e *Executor) retryFromJournal(ctx context.Context, p *Plan) error {
	rec, err := e.st.Load(ctx)
	if err != nil {
		return e.interrupted(ctx, p, storeErr("act: retrying the plan for epoch %d: reading the state: %w", p.Epoch, err))
	}
	jp, err := loadPlan(ctx, e.st, p.Epoch)
	if err != nil {
		return e.interrupted(ctx, p, &storeError{err})
	}
	if rec.State.Epoch > p.Epoch {
		if jp == nil {
			jp = p.Clone() // never journaled: it is, now, as superseded
		}
		if jp.Open() {
			if err := e.supersede(ctx, jp, 0); err != nil {
				return e.interrupted(ctx, p, err)
			}
		}
		e.setCurrent(jp)
		return nil
	}
	if rec.State.Epoch < p.Epoch {
		// Act runs only after its decision was stored, so this means the stored state
		// went back; a plan runs only for the stored epoch.
		return fmt.Errorf("act: plan for epoch %d: the stored epoch is %d; not run", p.Epoch, rec.State.Epoch)
	}
	if jp == nil {
		t := transitionOfPlan(p)
		if lt := rec.State.LastTransition; lt != nil && lt.Epoch == p.Epoch {
			t = transitionFromState(lt)
		}
		if jp, err = e.startPlan(ctx, t); err != nil {
			return err
		}
	}
	return e.finish(ctx, jp)
}
