package act

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/internal/health"
	"github.com/esdr/esdr/internal/state"
)

// readOnly is the cluster-wide write block esdr fences with. It is not
// cluster.blocks.read_only_allow_delete, which Elasticsearch manages itself on full disks.
const readOnly = "cluster.blocks.read_only"

// fenceStep makes the cluster traffic leaves read-only, so that a client still talking
// to it (a cached DNS answer, a pinned connection) cannot write behind the new active's
// back. A cluster that does not answer is not waited for: the fence is deferred, the
// plan moves traffic, and Run applies the fence as soon as the cluster answers again.
func (e *Executor) fenceStep(ctx context.Context, p *Plan, st *Step) (Status, string, error) {
	c := e.opts.Clusters[st.Name]
	if c.NoFence || c.Settings == nil {
		return StatusSkipped, "fencing disabled for this cluster (fence: false)", nil
	}
	r := e.opts.Retry
	r.AttemptTimeout = min(r.AttemptTimeout, e.opts.FenceTimeout)
	it := intent{Epoch: p.Epoch, Cluster: st.Name, Action: intentFence}
	err := e.change(ctx, r, &st.Attempts, it, func(ctx context.Context) error {
		err := c.Settings.PutClusterSettings(ctx, map[string]any{readOnly: true})
		if err != nil && gone(err) {
			return permanent(err) // no use retrying now: this is what deferral is for
		}
		return err
	})
	if err == nil {
		return StatusDone, "", e.dropFence(ctx, st.Name)
	}
	if ctx.Err() != nil {
		return StatusRunning, "", ctx.Err()
	}
	if errors.Is(err, ErrNotLeader) {
		return StatusFailed, "", err // not deferred: the fence is the new leader's business
	}
	if derr := e.deferFence(ctx, st.Name, p.Epoch, err); derr != nil {
		return StatusFailed, "", errors.Join(err, derr)
	}
	return StatusDeferred, fmt.Sprintf("retried every %s until it answers", e.opts.RetryInterval), err
}

// unfenceStep lifts the write block on the cluster traffic goes to. It resets the
// setting whoever set it — esdr on an earlier failover, or an operator — because an
// active cluster that refuses writes is an outage; a deferred fence of it is dropped
// first, so the background retry cannot undo the promotion.
func (e *Executor) unfenceStep(ctx context.Context, st *Step) (Status, string, error) {
	c := e.opts.Clusters[st.Name]
	if c.NoFence || c.Settings == nil {
		return StatusSkipped, "fencing disabled for this cluster (fence: false)", nil
	}
	if err := e.dropFence(ctx, st.Name); err != nil {
		return StatusFailed, "", err
	}
	it := intent{Epoch: st.Epoch, Cluster: st.Name, Action: intentUnfence}
	err := e.change(ctx, e.opts.Retry, &st.Attempts, it, func(ctx context.Context) error {
		return c.Settings.PutClusterSettings(ctx, map[string]any{readOnly: nil})
	})
	return outcome(err)
}

// gone reports whether err means the cluster could not be reached or gave no answer in
// time, or has no elected master: a fence cannot land until that changes.
func gone(err error) bool {
	switch esclient.Classify(err) {
	case health.KindUnreachable, health.KindTimeout:
		return true
	}
	return esclient.IsNoMaster(err)
}

// deferFence persists a fence to retry, so a restart keeps retrying it.
func (e *Executor) deferFence(ctx context.Context, cluster string, epoch uint64, cause error) error {
	e.mu.Lock()
	f, ok := e.fences[cluster]
	e.mu.Unlock()
	if !ok || f.Epoch < epoch {
		f = deferredFence{Epoch: epoch, Since: e.opts.Now()}
	}
	f.Attempts++
	f.LastError = truncate(cause.Error(), 300)
	wctx, cancel := detached(ctx)
	defer cancel()
	if err := putJSON(wctx, e.st, bucketFences, cluster, f); err != nil {
		return err
	}
	e.mu.Lock()
	e.fences[cluster] = f
	e.m.fences.Set(float64(len(e.fences)))
	e.mu.Unlock()
	return nil
}

// dropFence forgets a deferred fence: it was applied, or its cluster was promoted.
func (e *Executor) dropFence(ctx context.Context, cluster string) error {
	e.mu.Lock()
	_, ok := e.fences[cluster]
	e.mu.Unlock()
	if !ok {
		return nil
	}
	wctx, cancel := detached(ctx)
	defer cancel()
	if err := e.st.Delete(wctx, bucketFences, cluster); err != nil {
		return fmt.Errorf("act: forget deferred fence of %s: %w", cluster, err)
	}
	e.mu.Lock()
	delete(e.fences, cluster)
	e.m.fences.Set(float64(len(e.fences)))
	e.mu.Unlock()
	return nil
}

// loadFences reads the deferred fences of every configured cluster from the journal.
func (e *Executor) loadFences(ctx context.Context) error {
	for name := range e.opts.Clusters {
		var f deferredFence
		ok, err := getJSON(ctx, e.st, bucketFences, name, &f)
		if err != nil {
			return fmt.Errorf("act: resume: %w", err)
		}
		if ok {
			e.mu.Lock()
			e.fences[name] = f
			e.mu.Unlock()
		}
	}
	e.mu.Lock()
	e.m.fences.Set(float64(len(e.fences)))
	e.mu.Unlock()
	return nil
}

// retryFences tries every deferred fence once. A fence of the cluster that is active
// now is dropped, never applied: a decided switchover brought it back, and its plan
// lifted the block. Holding e.run, no plan can promote a cluster between that check
// and the write. Each fence is preceded by its intent, written under the leadership
// guard: a process that no longer leads makes no fence and gets an error wrapping
// ErrNotLeader, on which Run stops.
func (e *Executor) retryFences(ctx context.Context) error {
	e.run.Lock()
	defer e.run.Unlock()
	pending := e.PendingFences()
	if len(pending) == 0 {
		return nil
	}
	rec, err := e.st.Load(ctx)
	if err != nil {
		e.opts.Log.Warn("deferred fences: cannot read the state", "err", err)
		return nil
	}
	// One attempt, bounded like the fence step: this holds e.run, so a hung cluster
	// must not keep the next plan waiting for a whole AttemptTimeout.
	once := Retry{Attempts: 1, AttemptTimeout: min(e.opts.Retry.AttemptTimeout, e.opts.FenceTimeout)}.withDefaults()
	for _, name := range pending {
		e.mu.Lock()
		f := e.fences[name]
		e.mu.Unlock()
		c, ok := e.opts.Clusters[name]
		if rec.State.Active == name || !ok || c.NoFence || c.Settings == nil {
			if err := e.dropFence(ctx, name); errors.Is(err, state.ErrNotLeader) {
				return notMade("forgetting the deferred fence of "+name, err)
			}
			continue
		}
		began := time.Now()
		err := e.change(ctx, once, new(int), intent{Epoch: f.Epoch, Cluster: name, Action: intentFence}, func(ctx context.Context) error {
			return c.Settings.PutClusterSettings(ctx, map[string]any{readOnly: true})
		})
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, ErrNotLeader) {
			return err
		}
		if err != nil {
			_ = e.deferFence(ctx, name, f.Epoch, err)
			continue
		}
		e.m.step(StepFence, StatusDone, time.Since(began))
		if err := e.dropFence(ctx, name); err != nil {
			e.opts.Log.Warn("deferred fence applied but not forgotten", "cluster", name, "err", err)
		}
		e.event(ctx, &Plan{Epoch: f.Epoch}, name, fmt.Sprintf("deferred fence %s: done after %d attempt(s); deferred since %s (epoch %d)",
			name, f.Attempts+1, f.Since.Format(time.RFC3339), f.Epoch))
		e.opts.Log.Info("deferred fence applied", "cluster", name, "epoch", f.Epoch)
	}
	return nil
}
