package snapshot

import (
	"context"
	"fmt"
	"time"
)

// Report is the outcome of one cycle.
type Report struct {
	From, To string // the clusters' names: snapshots taken on From, restored on To
	Snapshot string
	// Started is when the snapshot was requested: after a good cycle the standby holds
	// the chosen indices as they were on the primary at about this time.
	Started  time.Time
	Duration time.Duration
	Restored []string // indices restored on To, in order
	Pruned   int      // old snapshots deleted
	// Kept is the snapshot of To's own copy taken before the first restore over it since
	// it was the repository's writer (after a failover or a failback): what it took around
	// esdr after the last cycle towards the other cluster is in it. Prune never deletes it.
	Kept string
	// KeptInRepository is how many such snapshots the repository holds, counted at the
	// end of a good cycle (-1: it could not say).
	KeptInRepository int
	// Err is why the cycle failed (nil if it succeeded); ErrFenced when To is fenced and
	// the cycle changed nothing. PruneErr is a failure to delete old snapshots, which does
	// not fail the cycle.
	Err      error
	PruneErr error
}

// Run runs a cycle in direction d at once, then one every Interval (from the start of the previous one;
// at once if it took longer), until ctx ends; then it returns nil. A failed cycle does
// not stop Run: the next one tries again, and Stats shows the error and the growing age.
func (s *Sync) Run(ctx context.Context, d Direction) error {
	if !s.running.CompareAndSwap(false, true) {
		return fmt.Errorf("snapshot: Run called twice: %w", ErrBusy)
	}
	defer s.running.Store(false)
	for {
		start := time.Now()
		_, _ = s.Cycle(ctx, d) // recorded in Stats and given to OnCycle
		if ctx.Err() != nil || s.wait(ctx, s.opts.Interval-time.Since(start)) != nil {
			return nil
		}
	}
}

// Trigger makes Run start its next cycle now rather than at the end of the interval
// (esdr snapshot sync-now). It fails with ErrBusy while a cycle runs and ErrIdle when Run
// does not run.
func (s *Sync) Trigger() error {
	if !s.running.Load() {
		return ErrIdle
	}
	if !s.cycle.TryLock() {
		return ErrBusy
	}
	s.cycle.Unlock()
	select {
	case s.wake <- struct{}{}:
	default: // one wake is waiting already
	}
	return nil
}

// wait is Run's pause between cycles: d, or until Trigger, or ctx's end.
func (s *Sync) wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	case <-s.wake:
	}
	return nil
}

// Cycle runs one sync in direction d now: check that the target is not fenced, make the
// source the repository's one writer, snapshot the source's chosen indices, restore each
// on the target, prune old snapshots. It returns ErrBusy if a cycle is already running.
func (s *Sync) Cycle(ctx context.Context, d Direction) (Report, error) {
	if !s.cycle.TryLock() {
		return Report{}, ErrBusy
	}
	defer s.cycle.Unlock()
	now := s.opts.Now()
	from, to := s.ends(d)
	rep := Report{From: from.name, To: to.name, Started: now, Snapshot: snapshotName(s.opts.Prefix, now)}
	s.begin(now)
	rep.Err = s.sync(ctx, from, to, &rep)
	rep.Duration = s.opts.Now().Sub(now)
	s.end(rep)
	if s.opts.OnCycle != nil {
		s.opts.OnCycle(rep)
	}
	return rep, rep.Err
}

// sync is the body of a cycle; it fills rep as it goes.
func (s *Sync) sync(ctx context.Context, from, to cluster, rep *Report) error {
	s.setPhase("checking the repository")
	if err := s.checkUnfenced(ctx, to); err != nil {
		return err
	}
	if err := s.ensureWriter(ctx, from, to, rep); err != nil {
		return err
	}
	if err := s.guard(ctx, "snapshot "+rep.Snapshot); err != nil {
		return err
	}
	t, err := s.take(ctx, from, rep.Snapshot)
	if err != nil {
		return err
	}
	rep.Started = t.started
	for _, idx := range t.sortedIndices() {
		if err := s.guard(ctx, "restore of "+idx); err != nil {
			return err
		}
		if err := s.restore(ctx, to, t, idx); err != nil {
			return err
		}
		rep.Restored = append(rep.Restored, idx)
	}
	rep.Pruned, rep.PruneErr = s.prune(ctx, from, rep.Snapshot)
	rep.KeptInRepository = s.countKept(ctx, from)
	return nil
}

// snapshotName is <prefix>-<UTC date>-<time>-<milliseconds>: unique per cycle, and in
// time order when sorted.
func snapshotName(prefix string, t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("%s-%s-%03d", prefix, t.Format("20060102-150405"), t.Nanosecond()/1e6)
}

// guard asks Options.Guard, if any, before a change.
func (s *Sync) guard(ctx context.Context, change string) error {
	if s.opts.Guard == nil {
		return nil
	}
	if err := s.opts.Guard(ctx, change); err != nil {
		return fmt.Errorf("snapshot: %s not made: %w", change, err)
	}
	return nil
}
