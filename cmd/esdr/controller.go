package main

import (
	"context"
	"errors"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/control"
)

// daemonController is what the admin API asks of the embedded daemon: the control
// loop's status with the sections of what is turned on (mirror mode, snapshot sync), and
// the operations beside decisions — reapply the targets, the failback resync (answered
// "mirror_off" when mirror mode is off). One type, so that no optional operation is
// hidden behind a wrapper.
type daemonController struct {
	*control.Loop
	ex     *act.Executor
	mirror *mirrorSetup   // nil when mirror mode is off
	snap   *snapshotSetup // nil when snapshot sync is off
}

func (c daemonController) Status(ctx context.Context) (control.Status, error) {
	st, err := c.Loop.Status(ctx)
	if err != nil {
		return st, err
	}
	if c.mirror != nil {
		st.Mirror = c.mirror.status()
	}
	if c.snap != nil {
		st.Snapshot = c.snap.status()
	}
	return st, nil
}

// Reapply points every traffic target at the active cluster again.
func (c daemonController) Reapply(ctx context.Context, by string) ([]admin.TargetResult, error) {
	return reapply(ctx, c.ex, by)
}

// reapply runs ex.Reapply for the admin API: a plan in progress is a refusal (409).
func reapply(ctx context.Context, ex *act.Executor, by string) ([]admin.TargetResult, error) {
	res, err := ex.Reapply(ctx, by)
	if errors.Is(err, act.ErrPlanOpen) {
		return nil, &admin.RefusedError{Code: "plan_in_progress", Reason: err.Error()}
	}
	if err != nil {
		return nil, err
	}
	out := make([]admin.TargetResult, len(res))
	for i, r := range res {
		out[i] = admin.TargetResult{Target: r.Target, Error: r.Error}
	}
	return out, nil
}
