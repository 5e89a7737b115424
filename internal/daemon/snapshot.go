package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/esdr/esdr/internal/config"
	"github.com/esdr/esdr/internal/epoch"
	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/internal/mirror/snapshot"
	"github.com/prometheus/client_golang/prometheus"
)

// snapshotCallTimeout bounds one snapshot API call (each is one request; the waits for
// a snapshot and a restore poll within snapshot_timeout and restore_timeout).
const snapshotCallTimeout = 30 * time.Second

// snapshotSetup is snapshot sync in `esdr run`: the active cluster's chosen indices
// snapshotted and restored on the other of the first two, on an interval, by the leading
// term (the embedded default always leads; in a fleet, the leader). It runs from the
// first cluster to the second while the first is active, and back after a failover.
type snapshotSetup struct {
	cfg           *config.SnapshotSyncConfig
	first, second string
	sync          *snapshot.Sync
	log           *slog.Logger

	mu       sync.Mutex
	from, to string       // the current direction's source and target
	paused   string       // why no cycle runs, "" while the sync may run
	store    intentWriter // the leading term's store; nil between terms
	epoch    uint64       // the epoch the running cycles are for
	waiting  string       // the last cycle's ErrFenced, logged once
}

// intentWriter is the store's write that a fleet's etcd store fences by leadership: it
// is refused once this member no longer leads.
type intentWriter interface {
	Put(ctx context.Context, bucket, key string, val []byte) error
}

// openSnapshot builds the sync between the first two clusters and registers its metrics.
func openSnapshot(cfg *config.Config, reg prometheus.Registerer, log *slog.Logger) (*snapshotSetup, error) {
	first, second := cfg.Clusters[0].Name, cfg.Clusters[1].Name
	s := &snapshotSetup{cfg: cfg.SnapshotSync, first: first, second: second, from: first, to: second, log: log}
	var clients [2]*esclient.Client
	for i, cl := range cfg.Clusters[:2] {
		opts := cl.ClientOptions(snapshotCallTimeout)
		opts.MaxBody = 64 << 20
		c, err := esclient.New(cl.Nodes, opts)
		if err != nil {
			return nil, fmt.Errorf("snapshot: cluster %s: %w", cl.Name, err)
		}
		clients[i] = c
	}
	opts := snapshotOptions(s.cfg)
	if cfg.Mirror.On() {
		opts.Mirrored = append([]string(nil), cfg.Mirror.Indices...)
	}
	opts.Names = [2]string{first, second}
	opts.OnCycle = s.logCycle
	opts.Guard = s.guard
	var err error
	if s.sync, err = snapshot.New(clients[0], clients[1], opts); err != nil {
		return nil, err
	}
	if err := snapshot.RegisterMetrics(reg, s.sync, s.leading); err != nil {
		return nil, err
	}
	if cfg.Fleet != nil {
		s.setPaused("not leading: the fleet's leader runs snapshot sync")
	} else {
		s.setPaused("waiting for the first decision")
	}
	return s, nil
}

// snapshotOptions maps the snapshot_sync block onto the sync's options. Mirrored comes
// from mirror.indices (openSnapshot), which the operator may declare: mirror mode
// replays whatever goes through the proxy, so only a declaration can name them (a
// config warning says so when both are on without it).
func snapshotOptions(c *config.SnapshotSyncConfig) snapshot.Options {
	o := snapshot.Options{
		Repository: snapshot.Repository{Name: c.Repository.Name, Type: c.Repository.Type, Settings: map[string]any{}},
		Indices:    append([]string(nil), c.Indices...), Interval: c.Interval, Keep: c.Keep, Prefix: c.Prefix,
		SnapshotTimeout: c.SnapshotTimeout, RestoreTimeout: c.RestoreTimeout, PollInterval: c.PollInterval,
	}
	for k, v := range c.Repository.Settings {
		o.Repository.Settings[k] = v
	}
	if len(c.IndexSettings) > 0 {
		o.IndexSettings = map[string]any{}
		for k, v := range c.IndexSettings {
			o.IndexSettings[k] = v
		}
	}
	return o
}

// acting is a fleet member's wait until its term may change clusters (fleet.Member).
type acting interface {
	Acting(ctx context.Context) error
}

// lead runs the sync for one term of leadership: in a fleet, once the predecessor's
// session has surely ended (as every change to a cluster waits), so that two members
// never restore at once. It returns when the term ends; the sync then says why it is
// paused until the next term.
func (s *snapshotSetup) lead(ctx context.Context, epochs epoch.Source, member acting, store intentWriter) error {
	s.mu.Lock()
	s.store = store
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.store, s.paused = nil, "not leading: the fleet's leader runs snapshot sync"
		s.mu.Unlock()
	}()
	if member != nil {
		s.setPaused("leading; waiting out the predecessor's session before the first cycle")
		if err := member.Acting(ctx); err != nil {
			<-ctx.Done() // the term ends: its other parts stop with it
			return nil
		}
	}
	return s.run(ctx, epochs)
}

// run syncs from the active cluster to the other of the pair, following each change of
// epoch: a running cycle is cancelled (an index it closed is reopened) and the next one
// starts in the new direction. A cycle towards a fenced cluster changes nothing and waits
// (snapshot.ErrFenced): esdr fences the cluster traffic leaves, and `esdr resync --to`
// lifts it.
func (s *snapshotSetup) run(ctx context.Context, epochs epoch.Source) error {
	for {
		changed := epochs.EpochChanged()
		ep, err := epochs.Endpoint(ctx)
		select {
		case <-changed: // changed while it was read (the first decision): read it again
			if ctx.Err() == nil {
				continue
			}
		default:
		}
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			s.setPaused("the control loop is not ready: " + err.Error())
		case ep.Cluster == s.first || ep.Cluster == s.second:
			d, from, to := snapshot.Forward, s.first, s.second
			if ep.Cluster == s.second {
				d, from, to = snapshot.Reverse, s.second, s.first
			}
			s.mu.Lock()
			s.paused, s.epoch, s.from, s.to = "", ep.Epoch, from, to
			s.mu.Unlock()
			s.runUntil(ctx, changed, d)
			continue
		case ep.Cluster != "":
			s.setPaused(fmt.Sprintf("%s is active (epoch %d): the sync runs between %s and %s only", ep.Cluster, ep.Epoch, s.first, s.second))
		default:
			s.setPaused("no active cluster chosen yet")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-time.After(time.Second): // retry a loop that was not ready
		}
	}
}

// runUntil runs the sync in direction d until ctx ends or the epoch changes.
func (s *snapshotSetup) runUntil(ctx context.Context, changed <-chan struct{}, d snapshot.Direction) {
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.sync.Run(rctx, d) // returns nil when rctx ends; errors only on a second Run
	}()
	select {
	case <-ctx.Done():
	case <-changed:
	}
	cancel()
	<-done
}

// guard announces each change a cycle makes as an intent, written under the term's
// leadership as the act step's fences are: a member deposed while it was paused has its
// intent refused, and makes no change.
func (s *snapshotSetup) guard(ctx context.Context, change string) error {
	s.mu.Lock()
	st, ep, to := s.store, s.epoch, s.to
	s.mu.Unlock()
	if st == nil {
		return errors.New("not leading")
	}
	b, err := json.Marshal(struct {
		Epoch   uint64    `json:"epoch"`
		Cluster string    `json:"cluster"`
		Action  string    `json:"action"`
		At      time.Time `json:"at"`
	}{ep, to, "snapshot sync: " + change, time.Now()})
	if err != nil {
		return err
	}
	return st.Put(ctx, "intents", to, b)
}
