package act

import (
	"context"
	"errors"
	"fmt"

	"github.com/esdr/esdr/internal/state"
)

// ErrActive is LiftFence refusing the cluster traffic goes to: its fence is the plan's
// business, never lifted or set behind the plan's back.
var ErrActive = errors.New("act: the cluster is active")

// LiftFence lifts the write block on a cluster that is not active, for the failback
// resync of mirror mode: the journal's writes can only be replayed to a cluster that
// takes writes, and they must be there before a switchover makes it active again. The
// proxy still sends it nothing (it routes by epoch, not by the block), so only a client
// that bypasses esdr could write to it meanwhile; the next plan that moves traffic away
// from it fences it again. A deferred fence of it is dropped first, or the background
// retry would undo this. It holds e.run, so no plan runs meanwhile.
func (e *Executor) LiftFence(ctx context.Context, cluster, why string) error {
	e.lockAhead() // a resync does not wait behind a retry of a hanging target
	defer e.run.Unlock()
	c, ok := e.opts.Clusters[cluster]
	if !ok {
		return fmt.Errorf("act: no cluster %q", cluster)
	}
	rec, err := e.st.Load(ctx)
	if err != nil {
		return fmt.Errorf("act: lifting the fence of %s: reading the state: %w", cluster, err)
	}
	if rec.State.Active == cluster {
		return fmt.Errorf("%w: %s takes traffic in epoch %d; its write block is lifted by the plan that made it active", ErrActive, cluster, rec.State.Epoch)
	}
	if c.NoFence || c.Settings == nil {
		return nil // never fenced by esdr
	}
	if err := e.dropFence(ctx, cluster); err != nil {
		return err
	}
	it := intent{Epoch: rec.State.Epoch, Cluster: cluster, Action: intentLift}
	if err := e.change(ctx, e.opts.Retry, new(int), it, func(ctx context.Context) error {
		return c.Settings.PutClusterSettings(ctx, map[string]any{readOnly: nil})
	}); err != nil {
		return fmt.Errorf("act: lifting the fence (%s) of %s: %w", readOnly, cluster, err)
	}
	wctx, cancel := detached(ctx)
	defer cancel()
	if _, err := e.st.Append(wctx, state.Event{At: e.opts.Now(), Kind: state.EventActed, Cluster: cluster, Epoch: rec.State.Epoch,
		Message: fmt.Sprintf("fence of %s lifted (%s) for %s; the proxy still sends it nothing, and the next plan moving traffic away from it fences it again", cluster, readOnly, why)}); err != nil {
		e.opts.Log.Warn("act: recording the lifted fence", "cluster", cluster, "err", err)
	}
	e.opts.Log.Warn("fence lifted", "cluster", cluster, "why", why)
	return nil
}
