package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/esdr/esdr/internal/control"
	"github.com/esdr/esdr/internal/state"
)

// ErrStale is returned (wrapped) by EpochWatch.Endpoint when etcd has not confirmed the
// epoch within the staleness bound: the proxy must fail closed rather than guess.
var ErrStale = errors.New("fleet: epoch view is stale")

// maxRecordBytes bounds what one read of the record decodes.
const maxRecordBytes = 1 << 20

// EpochWatch is every member's view of the shared epoch: the active cluster the leader
// stored, kept current by an etcd watch (so all proxies switch within one notification
// of each other) and confirmed by periodic linearizable reads (so a member cut off from
// etcd's quorum knows it is and stops routing once StaleAfter has passed since the last
// confirmation). This is Patroni's failsafe trade-off made explicit: routing continues
// on the last epoch for a bounded time, never indefinitely.
type EpochWatch struct {
	cli        *clientv3.Client
	key        string
	staleAfter time.Duration
	nodes      map[string][]string
	now        func() time.Time

	mu        sync.Mutex
	rec       state.Record
	modRev    int64
	confirmed time.Time // when etcd last vouched for rec
	changed   chan struct{}
}

// NewEpochWatch returns a watch of the record stored under prefix. nodes lists each
// cluster's node URLs, for the endpoint. Nothing is read until Run.
func NewEpochWatch(cli *clientv3.Client, prefix string, staleAfter time.Duration, nodes map[string][]string) *EpochWatch {
	return &EpochWatch{cli: cli, key: prefix + "record", staleAfter: staleAfter, nodes: nodes, now: time.Now,
		changed: make(chan struct{})}
}

// Run keeps the view current until ctx ends: a watch for changes, and a confirming read
// every quarter of the staleness bound (at most every second). Errors from etcd are not
// fatal: they only let the view age.
func (w *EpochWatch) Run(ctx context.Context) error {
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
		wch := w.cli.Watch(wctx, w.key, opts...)
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
func (w *EpochWatch) follow(ctx context.Context, wch clientv3.WatchChan, tick <-chan time.Time, every time.Duration) {
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
					w.apply(ev.Kv.Value, ev.Kv.ModRevision, false)
				}
			}
		case <-tick:
			w.confirm(ctx, every)
		}
	}
}

// confirm reads the record linearizably; on success the view is fresh as of now. It
// returns the etcd revision the view is current at (0 if the read failed).
func (w *EpochWatch) confirm(ctx context.Context, timeout time.Duration) int64 {
	rctx, cancel := context.WithTimeout(ctx, max(timeout, time.Second))
	defer cancel()
	resp, err := w.cli.Get(rctx, w.key)
	if err != nil {
		return 0
	}
	if len(resp.Kvs) > 0 {
		w.apply(resp.Kvs[0].Value, resp.Kvs[0].ModRevision, true)
	} else {
		w.mu.Lock()
		w.confirmed = w.now()
		w.mu.Unlock()
	}
	return resp.Header.Revision
}

// apply installs a record read from etcd. Older mod revisions are ignored (a slow read
// must not undo a watch event), and the epoch only moves forward.
func (w *EpochWatch) apply(raw []byte, modRev int64, fromRead bool) {
	var rec state.Record
	if len(raw) > maxRecordBytes || json.Unmarshal(raw, &rec) != nil {
		return // not written by esdr: the view ages and the proxy fails closed in time
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if fromRead {
		w.confirmed = w.now()
	}
	if modRev < w.modRev {
		return
	}
	if !fromRead {
		w.confirmed = w.now() // a watch event with WithRequireLeader is current
	}
	w.modRev = modRev
	if rec.State.Epoch != w.rec.State.Epoch {
		close(w.changed)
		w.changed = make(chan struct{})
	}
	w.rec = rec
}

// Endpoint is the active cluster of the current epoch, or an error wrapping ErrStale
// when etcd has not confirmed it within the bound, so the proxy answers 503.
func (w *EpochWatch) Endpoint(context.Context) (control.Endpoint, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if age := w.now().Sub(w.confirmed); w.confirmed.IsZero() || age > w.staleAfter {
		return control.Endpoint{}, fmt.Errorf("%w: etcd has not confirmed the epoch for %s (bound %s); failing closed until it does",
			ErrStale, age.Round(time.Millisecond), w.staleAfter)
	}
	if w.rec.State.Active == "" {
		return control.Endpoint{}, fmt.Errorf("fleet: no active cluster stored yet; the leader stores one on its first round")
	}
	s := w.rec.State
	return control.Endpoint{Cluster: s.Active, Epoch: s.Epoch, Nodes: w.nodes[s.Active]}, nil
}

// EpochChanged is closed when the epoch next changes; take a fresh one after each wake.
func (w *EpochWatch) EpochChanged() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.changed
}

// Record is the last record read and how long ago etcd confirmed it.
func (w *EpochWatch) Record() (state.Record, time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.confirmed.IsZero() {
		return w.rec, -1
	}
	return w.rec, w.now().Sub(w.confirmed)
}
