package proxy

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/esdr/esdr/internal/epoch"
)

// router tells the proxy where traffic goes; *control.Loop implements it.
type router interface {
	// Endpoint is the active cluster and its nodes in the current epoch. An error means
	// the current epoch cannot be told, and the proxy fails closed. It may wait only for
	// writes (mirror mode's gate); for reads it answers from memory.
	Endpoint(ctx context.Context) (epoch.Endpoint, error)
	// EpochChanged is closed when the epoch next changes; take a fresh one after each wake.
	EpochChanged() <-chan struct{}
}

// prober asks the watch step for an immediate confirming probe; *watch.Watcher implements it.
type prober interface{ ProbeNow(cluster string) }

type endpoint = epoch.Endpoint

// epochPools hands out the pool of the current epoch and retires the pools of past epochs.
// Epochs only grow: an Endpoint answer with a lower epoch than one already seen, or the
// same epoch with another cluster, is a stale view and the proxy fails closed.
type epochPools struct {
	r        router
	cfg      Config
	access   map[string]clusterAccess
	fallback clusterAccess // for clusters without an entry in access
	log      *slog.Logger
	resolveT func(context.Context) (context.Context, context.CancelFunc)

	// live is cur, readable without the lock: while the epoch stays the same, which is
	// nearly always, resolve answers from it without serializing every request on mu.
	live atomic.Pointer[pool]

	mu      sync.Mutex
	cur     *pool
	highest uint64
	seen    bool
	closed  bool
}

// current asks the router for the current epoch and returns its pool. It is called right
// before every attempt, so no attempt goes to a cluster of a past epoch. A write's ask is
// bounded by resolveT (failover_wait): mirror mode's gate holds writes until the new
// active cluster caught up. A read's is not bounded, nor does it cost a context: no
// router holds reads.
func (f *epochPools) current(ctx context.Context, write bool) (*pool, error) {
	if write {
		var cancel context.CancelFunc
		ctx, cancel = f.resolveT(ctx)
		defer cancel()
	}
	ep, err := f.r.Endpoint(ctx)
	if err != nil {
		return nil, newESError(http.StatusServiceUnavailable, typeUnavailable,
			fmt.Sprintf("esdr cannot tell the current epoch, refusing to guess: %v", err))
	}
	return f.resolve(ep)
}

func (f *epochPools) resolve(ep endpoint) (*pool, error) {
	unavailable := func(format string, args ...any) error {
		return newESError(http.StatusServiceUnavailable, typeUnavailable, fmt.Sprintf(format, args...))
	}
	if ep.Cluster == "" {
		return nil, unavailable("no active cluster in epoch %d", ep.Epoch)
	}
	// A retired pool is never the answer: close and every epoch change retire the pool
	// they replace, so those go the slow way below.
	if c := f.live.Load(); c != nil && c.serves(ep) && !c.isRetired() {
		return c, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, unavailable("esdr proxy is shutting down")
	}
	if c := f.cur; c != nil && c.serves(ep) {
		return c, nil
	}
	if f.seen && ep.Epoch < f.highest {
		return nil, unavailable("stale view: epoch %d after epoch %d", ep.Epoch, f.highest)
	}
	if c := f.cur; c != nil && c.epoch == ep.Epoch && c.cluster != ep.Cluster {
		return nil, unavailable("epoch %d names cluster %q and then %q", ep.Epoch, c.cluster, ep.Cluster)
	}
	acc, ok := f.access[ep.Cluster]
	if !ok {
		acc = f.fallback
	}
	p, err := newPool(f.cfg, ep, acc)
	if err != nil {
		return nil, unavailable("%v", err)
	}
	if old := f.cur; old != nil {
		old.retire()
		f.log.Info("proxy: epoch changed, the old epoch's pool retired",
			"from_cluster", old.cluster, "from_epoch", old.epoch, "cluster", p.cluster, "epoch", p.epoch)
	}
	f.cur, f.highest, f.seen = p, ep.Epoch, true
	f.live.Store(p)
	return p, nil
}

// serves reports whether p is the pool of ep: same epoch, cluster and nodes.
func (p *pool) serves(ep endpoint) bool {
	return p.epoch == ep.Epoch && p.cluster == ep.Cluster &&
		slices.EqualFunc(p.nodes, ep.Nodes, func(n *node, s string) bool { return n.raw == s })
}

// watch refreshes the pool as soon as the epoch changes, so the old cluster's idle
// connections close and its in-flight reads move at once, not on the next request.
func (f *epochPools) watch(ctx context.Context) {
	for {
		ch := f.r.EpochChanged()
		if _, err := f.current(ctx, false); err != nil && ctx.Err() == nil {
			f.log.Warn("proxy: cannot read the current epoch", "err", err)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return
		}
	}
}

// close retires the current pool and makes every later resolve fail closed.
func (f *epochPools) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	if f.cur != nil {
		f.cur.retire()
	}
}
