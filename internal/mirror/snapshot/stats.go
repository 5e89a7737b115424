package snapshot

import (
	"errors"
	"time"
)

// Stats is what status, metrics and alerts read.
type Stats struct {
	// LastGood is when the last good cycle's snapshot was requested (zero: none yet), and
	// LastGoodSnapshot its name.
	LastGood         time.Time
	LastGoodSnapshot string
	// Age is how old the target's copy of the chosen indices is: now minus LastGood, or,
	// before any good cycle, the time since New (a lower bound). It is the recovery point
	// for writes made around esdr; alert on it passing a few Intervals.
	Age time.Duration
	// LastDuration is how long the last cycle took, good or not; LastError why it failed
	// (nil when it succeeded); LastAttempt when it began.
	LastDuration time.Duration
	LastError    error
	LastAttempt  time.Time
	// Cycles and Failures count cycles run and failed; Restored the indices restored and
	// Pruned the snapshots deleted, over the life of the Sync. LastRestored is the number
	// of indices the last good cycle restored.
	Cycles, Failures uint64
	Restored, Pruned uint64
	LastRestored     int
	LastPruneError   error
	// Waiting says why the last cycle could not start (its target is fenced, ErrFenced);
	// such a cycle is counted in neither Cycles nor Failures. "" while the next one runs.
	Waiting string
	// LastKept is the newest snapshot of a cluster's own copy kept before restoring over
	// it (Report.Kept); an operator deletes it once it is not needed.
	LastKept string
	// KeptInRepository is the count of kept snapshots the last good cycle found in the
	// repository (-1: it could not say).
	KeptInRepository int
	// Running is true during a cycle; Phase then says what it is doing and how far it is
	// ("snapshot esdr-sync-...: STARTED, 3 of 5 shards, ...", "restore logs-a from ...").
	Running bool
	Phase   string
}

// Stats returns the sync's counters, its last outcome and the age of its last good
// snapshot.
func (s *Sync) Stats() Stats {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	if st.LastGood.IsZero() {
		st.Age = max(now.Sub(s.created), 0)
	} else {
		st.Age = max(now.Sub(st.LastGood), 0)
	}
	return st
}

// begin records the start of a cycle.
func (s *Sync) begin(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Running, s.stats.LastAttempt, s.stats.Phase, s.stats.Waiting = true, now, "starting", ""
}

// end records the outcome of a cycle.
func (s *Sync) end(rep Report) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.stats
	st.Running, st.Phase = false, ""
	if rep.Kept != "" {
		st.LastKept = rep.Kept
	}
	if errors.Is(rep.Err, ErrFenced) {
		st.Waiting = rep.Err.Error()
		return
	}
	st.Cycles++
	st.LastDuration, st.LastError = rep.Duration, rep.Err
	st.Restored += uint64(len(rep.Restored))
	st.Pruned += uint64(rep.Pruned)
	if rep.Err != nil {
		st.Failures++
		return
	}
	st.LastGood, st.LastGoodSnapshot, st.LastRestored = rep.Started, rep.Snapshot, len(rep.Restored)
	st.KeptInRepository = rep.KeptInRepository
	st.LastPruneError = rep.PruneErr
}

// setPhase records what the running cycle is doing.
func (s *Sync) setPhase(p string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Phase = p
}
