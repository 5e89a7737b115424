package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/config"
	"github.com/esdr/esdr/internal/epoch"
	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/internal/mirror/snapshot"
	"github.com/prometheus/client_golang/prometheus"
)

// snapshotCallTimeout bounds one snapshot API call (each is one request; the waits for
// a snapshot and a restore poll within snapshot_timeout and restore_timeout).
const snapshotCallTimeout = 30 * time.Second

// snapshotSetup is snapshot sync in `esdr run`: the first cluster's chosen indices
// snapshotted and restored on the second, on an interval, while the first cluster is
// active, by the leading term (the embedded default always leads; in a fleet, the leader).
type snapshotSetup struct {
	cfg      *config.SnapshotSyncConfig
	from, to string
	sync     *snapshot.Sync
	log      *slog.Logger

	mu     sync.Mutex
	paused string       // why no cycle runs, "" while the sync may run
	store  intentWriter // the leading term's store; nil between terms
	epoch  uint64       // the epoch the running cycles are for
}

// intentWriter is the store's write that a fleet's etcd store fences by leadership: it
// is refused once this member no longer leads.
type intentWriter interface {
	Put(ctx context.Context, bucket, key string, val []byte) error
}

// openSnapshot builds the sync between the first two clusters and registers its metrics.
func openSnapshot(cfg *config.Config, reg prometheus.Registerer, log *slog.Logger) (*snapshotSetup, error) {
	s := &snapshotSetup{cfg: cfg.SnapshotSync, from: cfg.Clusters[0].Name, to: cfg.Clusters[1].Name, log: log}
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

// run syncs while the first cluster is active. Restoring over a cluster that has taken
// traffic would discard what was written to it, so once esdr sees another cluster
// active, a running cycle is cancelled (an index it closed is reopened) and the sync
// stays off until esdr is restarted with the first cluster active again.
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
		case ep.Cluster == s.from:
			s.mu.Lock()
			s.paused, s.epoch = "", ep.Epoch
			s.mu.Unlock()
			s.runUntil(ctx, changed)
			continue
		case ep.Cluster != "":
			why := fmt.Sprintf("%s is active (epoch %d): restoring over it would discard its writes; "+
				"restart esdr once %s is active again (and holds what %s took)", ep.Cluster, ep.Epoch, s.from, ep.Cluster)
			s.setPaused(why)
			s.log.Warn("snapshot: sync stopped until esdr is restarted", "reason", why)
			<-ctx.Done()
			return nil
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

// runUntil runs the sync until ctx ends or the epoch changes.
func (s *snapshotSetup) runUntil(ctx context.Context, changed <-chan struct{}) {
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.sync.Run(rctx) // returns nil when rctx ends; errors only on a second Run
	}()
	select {
	case <-ctx.Done():
	case <-changed:
	}
	cancel()
	<-done
}

// logCycle logs each cycle once.
func (s *snapshotSetup) logCycle(r snapshot.Report) {
	attrs := []any{"snapshot", r.Snapshot, "from", s.from, "to", s.to, "duration", r.Duration.Round(time.Millisecond)}
	if errors.Is(r.Err, context.Canceled) {
		s.log.Info("snapshot: cycle interrupted (esdr stopping, or another cluster became active)", append(attrs, "restored", r.Restored)...)
		return
	}
	if r.Err != nil {
		s.log.Warn("snapshot: cycle failed; the standby keeps its previous copy",
			append(attrs, "restored", r.Restored, "age", s.sync.Stats().Age.Round(time.Second), "err", r.Err)...)
		return
	}
	attrs = append(attrs, "restored", r.Restored, "pruned", r.Pruned)
	if r.PruneErr != nil {
		s.log.Warn("snapshot: cycle done; pruning old snapshots failed", append(attrs, "err", r.PruneErr)...)
		return
	}
	s.log.Info("snapshot: cycle done", attrs...)
}

// leading is 1 while a term of this esdr runs the sync, else 0.
func (s *snapshotSetup) leading() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.store != nil
}

func (s *snapshotSetup) setPaused(why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.paused = why
}

// status is the snapshot section of esdr status.
func (s *snapshotSetup) status() *admin.SnapshotStatus {
	st := s.sync.Stats()
	out := &admin.SnapshotStatus{From: s.from, To: s.to, Repository: s.cfg.Repository.Name,
		Indices: s.cfg.Indices, Interval: s.cfg.Interval.String(), LastGoodSnapshot: st.LastGoodSnapshot,
		AgeSeconds: st.Age.Seconds(), LastDurationSeconds: st.LastDuration.Seconds(), Cycles: st.Cycles,
		Failures: st.Failures, Restored: st.Restored, Running: st.Running, Phase: st.Phase}
	if !st.LastGood.IsZero() {
		t := st.LastGood.UTC()
		out.LastGood = &t
	}
	if !st.LastAttempt.IsZero() {
		t := st.LastAttempt.UTC()
		out.LastAttempt = &t
	}
	if st.LastError != nil {
		out.LastError = st.LastError.Error()
	}
	if st.LastPruneError != nil {
		out.LastPruneError = st.LastPruneError.Error()
	}
	s.mu.Lock()
	out.Paused = s.paused
	s.mu.Unlock()
	return out
}

// guard announces each change a cycle makes as an intent, written under the term's
// leadership as the act step's fences are: a member deposed while it was paused has its
// intent refused, and makes no change.
func (s *snapshotSetup) guard(ctx context.Context, change string) error {
	s.mu.Lock()
	st, ep := s.store, s.epoch
	s.mu.Unlock()
	if st == nil {
		return errors.New("not leading")
	}
	b, err := json.Marshal(struct {
		Epoch   uint64    `json:"epoch"`
		Cluster string    `json:"cluster"`
		Action  string    `json:"action"`
		At      time.Time `json:"at"`
	}{ep, s.to, "snapshot sync: " + change, time.Now()})
	if err != nil {
		return err
	}
	return st.Put(ctx, "intents", s.to, b)
}
