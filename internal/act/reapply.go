package act

import (
	"context"
	"errors"
	"fmt"

	"github.com/esdr/esdr/internal/state"
)

// ErrPlanOpen is Reapply refusing while a plan runs or waits for a retry: that plan
// switches the targets itself, and two writers would race.
var ErrPlanOpen = errors.New("act: a plan is in progress")

// TargetResult is what Reapply did to one target.
type TargetResult struct {
	Target string `json:"target"`
	Error  string `json:"error,omitempty"`
}

// Reapply points every target at the active cluster of the stored state again, as the
// switch steps of a plan do, without fencing, hooks or a new epoch. Targets lose what
// esdr set (an HAProxy reload drops runtime server states; someone edits a record by
// hand), and a first start runs no plan at all; this puts them back on request. Each
// target verifies what it did, as in a plan; every outcome is an event. It holds e.run,
// so no plan runs meanwhile.
func (e *Executor) Reapply(ctx context.Context, by string) ([]TargetResult, error) {
	e.run.Lock()
	defer e.run.Unlock()
	rec, err := e.st.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("act: reapply: reading the state: %w", err)
	}
	s := rec.State
	if !s.Initialized() {
		return nil, errors.New("act: reapply: esdr has not chosen an active cluster yet; wait for its first decision (esdr status)")
	}
	if p := e.Current(); p != nil && p.Open() {
		return nil, fmt.Errorf("%w (epoch %d, %s): it switches the targets itself; wait for it (esdr status)", ErrPlanOpen, p.Epoch, p.Status)
	}
	if err := e.acting(ctx, "reapply"); err != nil {
		return nil, err
	}
	sw := Switch{Epoch: s.Epoch, To: s.Active, ToNodes: e.opts.Clusters[s.Active].Nodes,
		Reason: fmt.Sprintf("targets re-pointed at %s (epoch %d) by %s", s.Active, s.Epoch, by)}
	var out []TargetResult
	for _, t := range e.opts.Targets {
		attempts := 0
		err := e.opts.Retry.do(ctx, &attempts, func(ctx context.Context) error { return t.Apply(ctx, sw) })
		r := TargetResult{Target: t.Name()}
		msg := fmt.Sprintf("reapply: target %s points at %s (epoch %d) again, by %s", t.Name(), s.Active, s.Epoch, by)
		if err != nil {
			r.Error = err.Error()
			msg = fmt.Sprintf("reapply: target %s could not be pointed at %s (epoch %d) after %d attempt(s): %v", t.Name(), s.Active, s.Epoch, attempts, err)
			e.opts.Log.Warn("reapply failed", "target", t.Name(), "active", s.Active, "epoch", s.Epoch, "err", err)
		}
		out = append(out, r)
		wctx, cancel := detached(ctx)
		_, _ = e.st.Append(wctx, state.Event{At: e.opts.Now(), Kind: state.EventActed, Cluster: s.Active, Epoch: s.Epoch, Message: msg})
		cancel()
	}
	return out, nil
}
