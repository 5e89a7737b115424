package daemon

import (
	"context"
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

// snapshotSetup is snapshot sync in `esdr run` on the embedded default: the first
// cluster's chosen indices snapshotted and restored on the second, on an interval,
// while the first cluster is active.
type snapshotSetup struct {
	cfg      *config.SnapshotSyncConfig
	from, to string
	sync     *snapshot.Sync
	log      *slog.Logger

	mu     sync.Mutex
	paused string // why no cycle runs, "" while the sync may run
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
	opts.OnCycle = s.logCycle
	var err error
	if s.sync, err = snapshot.New(clients[0], clients[1], opts); err != nil {
		return nil, err
	}
	if err := snapshot.RegisterMetrics(reg, s.sync); err != nil {
		return nil, err
	}
	s.setPaused("waiting for the first decision")
	return s, nil
}

// snapshotOptions maps the snapshot_sync block onto the sync's options. Mirrored is
// left empty: mirror mode replays whatever goes through the proxy, so the configuration
// cannot name those indices, and the operator keeps the two sets apart (a config warning
// says so when both are on).
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
			s.setPaused("")
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
