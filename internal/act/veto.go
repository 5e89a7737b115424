package act

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/state"
)

// Veto asks the pre hook whether transition d may happen. The control loop calls it
// BEFORE it stores d: a veto then leaves the state, the clusters and the targets as they
// were, and the loop simply does not commit. (A veto from the plan's own pre-hook step,
// after the state was stored, can only stop the plan and leave the state naming a
// cluster no traffic was moved to; the step is there for a loop that does not call Veto.)
//
// An approval is journaled, so the plan of the same epoch records the hook as done and
// does not ask again, even after a crash. A veto is recorded as a "refused" event naming
// the hook and the end of its stderr; an automatic transition vetoed within VetoHold is
// refused again without running the hook, because the loop re-decides every tick. An
// operator's switchover always runs the hook.
//
// It returns nil when there is no pre hook or d does not change the active cluster, an
// error matching ErrVetoed on a veto, and another error when the approval cannot be
// journaled or ctx ended (the loop must then not commit either).
func (e *Executor) Veto(ctx context.Context, d decide.Decision) error {
	h := e.opts.PreHook
	if h == nil || !d.Transitions() {
		return nil
	}
	now := e.opts.Now()
	key := vetoKey{d.Action, d.From, d.To}
	command := d.Code == decide.CodeSwitchover || d.Code == decide.CodeSwitchoverForced
	if err := e.vetoes.get(key, now); err != nil && !command {
		return err
	}
	t := transition{Epoch: d.Epoch, Action: d.Action, Code: d.Code, From: d.From, To: d.To, Reason: d.Reason, At: now}
	began := time.Now()
	err := h.run(ctx, t)
	if ctx.Err() != nil {
		return fmt.Errorf("act: pre hook %s interrupted: %w", h.name(), ctx.Err())
	}
	if err != nil {
		e.m.step(StepPreHook, StatusVetoed, time.Since(began))
		e.vetoes.put(key, err, now.Add(e.opts.VetoHold))
		msg := err.Error()
		var ve *VetoError
		if errors.As(err, &ve) {
			msg = ve.messageTail()
		}
		wctx, cancel := detached(ctx)
		defer cancel()
		_, _ = e.st.Append(wctx, state.Event{At: now, Kind: state.EventRefused, Code: d.Code, From: d.From, To: d.To,
			Epoch: d.Epoch, Message: fmt.Sprintf("%s %s → %s vetoed by pre hook %s: %s", d.Action, d.From, d.To, h.name(), msg)})
		return err
	}
	e.m.step(StepPreHook, StatusDone, time.Since(began))
	e.vetoes.clear(key)
	a := approval{Epoch: d.Epoch, Action: string(d.Action), From: d.From, To: d.To, Started: now, Finished: e.opts.Now()}
	if err := putJSON(ctx, e.st, bucketApprovals, epochKey(d.Epoch), a); err != nil {
		return err
	}
	if d.Epoch > keepPlans {
		_ = e.st.Delete(ctx, bucketApprovals, epochKey(d.Epoch-keepPlans))
	}
	return nil
}

// messageTail is the veto without the package prefix, for an event message.
func (v *VetoError) messageTail() string {
	msg := v.Err.Error()
	if v.Stderr != "" {
		msg += ": " + v.Stderr
	}
	return msg
}

type vetoKey struct {
	action   decide.Action
	from, to string
}

// vetoCache remembers recent vetoes of automatic transitions.
type vetoCache struct {
	mu sync.Mutex
	m  map[vetoKey]vetoEntry
}

type vetoEntry struct {
	err   error
	until time.Time
}

func (c *vetoCache) get(k vetoKey, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.m[k]; ok && now.Before(v.until) {
		return v.err
	}
	return nil
}

func (c *vetoCache) put(k vetoKey, err error, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[vetoKey]vetoEntry{}
	}
	c.m[k] = vetoEntry{err, until}
}

func (c *vetoCache) clear(k vetoKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, k)
}
