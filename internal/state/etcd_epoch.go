package state

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/esdr/esdr/internal/epoch"
)

// ErrStale is returned (wrapped) by EtcdEpochs.Endpoint when etcd has not confirmed the
// epoch within the staleness bound: the proxy must fail closed rather than guess.
var ErrStale = errors.New("state: epoch view is stale")

// EtcdEpochs is a fleet member's view of the shared epoch: the record the leader stored,
// kept current by an etcd watch (so all proxies switch within one notification of each
// other) and confirmed by periodic linearizable reads (so a member cut off from etcd's
// quorum knows it is and stops routing once staleAfter has passed since the last
// confirmation). This is Patroni's failsafe trade-off made explicit: routing continues
// on the last epoch for a bounded time, never indefinitely.
type EtcdEpochs struct {
	e          *Etcd
	staleAfter time.Duration
	nodes      map[string][]string
	now        func() time.Time

	view      committed
	mu        sync.Mutex
	modRev    int64
	confirmed time.Time // when etcd last vouched for the view
}

// Epochs returns the follower of the epoch stored under e's prefix. Nothing is read
// until Run.
func (e *Etcd) Epochs(staleAfter time.Duration, nodes map[string][]string) *EtcdEpochs {
	return &EtcdEpochs{e: e, staleAfter: staleAfter, nodes: nodes, now: time.Now}
}

// Run keeps the view current until ctx ends: a watch for changes, and a confirming read
// every quarter of the staleness bound (at most every second). Errors from etcd are not
// fatal: they only let the view age.
func (w *EtcdEpochs) Run(ctx context.Context) error {
	every := min(w.staleAfter/4, time.Second)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for ctx.Err() == nil {
		rev := w.confirm(ctx, every)
		wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
		var opts []clientv3.OpOption
		if rev > 0 {
			opts = append(opts, clientv3.WithRev(rev+1)) // nothing between the read and the watch is missed
		}
		wch := w.e.cli.Watch(wctx, w.e.key("record"), opts...)
		w.follow(ctx, wch, tick.C, every)
		cancel()
		select {
		case <-ctx.Done():
		case <-time.After(every):
		}
	}
	return nil
}

// follow applies watch events and confirms on each tick until the watch breaks.
func (w *EtcdEpochs) follow(ctx context.Context, wch clientv3.WatchChan, tick <-chan time.Time, every time.Duration) {
	for {
		select {
		case <-ctx.Done():
			return
		case resp, ok := <-wch:
			if !ok || resp.Err() != nil || resp.Canceled {
				return // no leader, compacted, or closed: start over with a fresh read
			}
			for _, ev := range resp.Events {
				if ev.Type == clientv3.EventTypePut {
					w.apply(ev.Kv, false)
				}
			}
		case <-tick:
			w.confirm(ctx, every)
		}
	}
}

// confirm reads the record linearizably; on success the view is fresh as of now. It
// returns the etcd revision the view is current at (0 if the read failed).
func (w *EtcdEpochs) confirm(ctx context.Context, timeout time.Duration) int64 {
	rctx, cancel := context.WithTimeout(ctx, max(timeout, time.Second))
	defer cancel()
	resp, err := w.e.cli.Get(rctx, w.e.key("record"))
	if err != nil {
		return 0
	}
	if len(resp.Kvs) > 0 {
		w.apply(resp.Kvs[0], true)
	} else {
		w.mu.Lock()
		w.confirmed = w.now()
		w.mu.Unlock()
	}
	return resp.Header.Revision
}

// apply installs a record read from etcd, decoded as the store decodes it. Older mod
// revisions are ignored (a slow read must not undo a watch event).
func (w *EtcdEpochs) apply(kv *mvccpb.KeyValue, fromRead bool) {
	rec, err := w.e.decodeRecord(kv.Value, kv.Version)
	if err != nil {
		return // not written by esdr: the view ages and the proxy fails closed in time
	}
	w.mu.Lock()
	if fromRead {
		w.confirmed = w.now()
	}
	if kv.ModRevision < w.modRev {
		w.mu.Unlock()
		return
	}
	if !fromRead {
		w.confirmed = w.now() // a watch event with WithRequireLeader is current
	}
	w.modRev = kv.ModRevision
	w.mu.Unlock()
	w.view.set(rec)
}

// Endpoint is the active cluster of the current epoch, or an error wrapping ErrStale
// when etcd has not confirmed it within the bound, so the proxy answers 503.
func (w *EtcdEpochs) Endpoint(context.Context) (epoch.Endpoint, error) {
	w.mu.Lock()
	age, confirmed := w.now().Sub(w.confirmed), !w.confirmed.IsZero()
	w.mu.Unlock()
	if !confirmed {
		return epoch.Endpoint{}, fmt.Errorf("%w: etcd has not confirmed the epoch yet (since start); failing closed until it does", ErrStale)
	}
	if age > w.staleAfter {
		return epoch.Endpoint{}, fmt.Errorf("%w: etcd has not confirmed the epoch for %s (bound %s); failing closed until it does",
			ErrStale, age.Round(time.Millisecond), w.staleAfter)
	}
	return endpointOf(w.view.get(), w.nodes)
}

// EpochChanged is closed when the epoch next changes; take a fresh one after each wake.
func (w *EtcdEpochs) EpochChanged() <-chan struct{} { return w.view.changed.Wait() }

// Record is the last record read and how long ago etcd confirmed it (-1: never).
func (w *EtcdEpochs) Record() (Record, time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.confirmed.IsZero() {
		return w.view.get(), -1
	}
	return w.view.get(), w.now().Sub(w.confirmed)
}
