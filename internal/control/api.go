package control

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/state"
)

// commandTimeout bounds how long an operator waits for the loop to take a command.
const commandTimeout = 10 * time.Second

// ErrNotReady is returned while the loop has not finished its first round.
var ErrNotReady = errors.New("control: not ready: the first decision has not been taken yet")

func (l *Loop) waitReady(ctx context.Context) error {
	select {
	case <-l.ready:
		return l.readyErr
	case <-ctx.Done():
		return ErrNotReady
	}
}

// Command decides an operator's command in the loop, so it is serialized with automatic
// decisions and judged on the same observations.
func (l *Loop) Command(ctx context.Context, cmd decide.Command) (decide.Decision, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	if err := l.waitReady(ctx); err != nil {
		return decide.Decision{}, err
	}
	req := commandReq{cmd: cmd, reply: make(chan commandResp, 1)}
	select {
	case l.cmds <- req:
	case <-ctx.Done():
		return decide.Decision{}, fmt.Errorf("control: command %s not taken: %w", cmd.Kind, ctx.Err())
	}
	select {
	case r := <-req.reply:
		return r.d, r.err
	case <-ctx.Done():
		return decide.Decision{}, fmt.Errorf("control: command %s: no answer: %w", cmd.Kind, ctx.Err())
	}
}

// Status reports the stored state, the last decision and every cluster's observation.
func (l *Loop) Status(ctx context.Context) (admin.Status, error) {
	if err := l.waitReady(ctx); err != nil {
		return admin.Status{}, err
	}
	obs := l.observer.Snapshot()
	l.mu.RLock()
	defer l.mu.RUnlock()
	st := admin.Status{State: l.record.State, Revision: l.record.Revision, LastDecision: l.last,
		HoldDownActive: l.record.State.InHoldDown(l.opts.Now())}
	if r, ok := l.actor.(planReporter); ok {
		st.Plan, st.PendingFences = r.Current(), r.PendingFences()
	}
	st.Clusters = admin.ClusterStatuses(l.policy.Clusters, l.opts.Nodes, l.record.State.Active, obs)
	return st, nil
}

// Current returns the stored state as the loop last wrote or read it.
func (l *Loop) Current() decide.State {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.record.State
}

// Events returns stored events after a sequence number.
func (l *Loop) Events(ctx context.Context, after uint64, limit int) ([]state.Event, error) {
	return l.store.Events(ctx, after, limit)
}
