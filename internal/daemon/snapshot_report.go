package daemon

import (
	"context"
	"errors"
	"time"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/mirror/snapshot"
)

// logCycle logs each cycle once, and a wait for a fenced target once until it ends.
func (s *snapshotSetup) logCycle(r snapshot.Report) {
	attrs := []any{"snapshot", r.Snapshot, "from", r.From, "to", r.To, "duration", r.Duration.Round(time.Millisecond)}
	s.mu.Lock()
	prev := s.waiting
	s.waiting = ""
	if errors.Is(r.Err, snapshot.ErrFenced) {
		s.waiting = r.Err.Error()
	}
	s.mu.Unlock()
	if r.Kept != "" {
		s.log.Warn("snapshot: kept a copy before restoring over it: what it took around esdr after the last cycle towards "+
			r.From+" is in that snapshot only; delete it when not needed", "kept", r.Kept, "cluster", r.To)
	}
	if errors.Is(r.Err, snapshot.ErrFenced) {
		if prev != r.Err.Error() {
			s.log.Warn("snapshot: waiting: the cluster to restore on is fenced", "from", r.From, "to", r.To, "reason", r.Err)
		}
		return
	}
	if errors.Is(r.Err, context.Canceled) {
		s.log.Info("snapshot: cycle interrupted (esdr stopping, or another cluster became active)", append(attrs, "restored", r.Restored)...)
		return
	}
	if r.Err != nil {
		s.log.Warn("snapshot: cycle failed; "+r.To+" keeps its previous copy",
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
	s.mu.Lock()
	from, to := s.from, s.to
	s.mu.Unlock()
	out := &admin.SnapshotStatus{From: from, To: to, Kept: st.LastKept, KeptInRepository: st.KeptInRepository, Repository: s.cfg.Repository.Name,
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
	if out.Paused == "" && st.Waiting != "" {
		out.Paused = st.Waiting
	}
	return out
}
