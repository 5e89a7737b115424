package mirror

import (
	"context"
	"time"
)

// Where a replicator resumes and how it records progress: the journal's checkpoint for
// its only target, or its own cursor in a journal shared by two (PairReplicators).

// idleCheckpoint spaces the cursor writes of a replicator that only skips records (all
// of them are for another target): each write is three fsyncs, and the cursor only needs
// to move for segments to be deleted.
const idleCheckpoint = time.Second

// scan is how far a replicator has read (seq) and checkpointed (saved, at), and the
// record it leaves out (skip, see Skip).
type scan struct {
	seq, saved, skip uint64
	at               time.Time
}

// checkpoint is where this replicator resumes from.
func (r *Replicator) checkpoint() uint64 {
	if r.opts.Cursor == "" {
		return r.j.Stats().Applied
	}
	seq, _ := r.j.Cursor(r.opts.Cursor)
	return seq
}

// advance checkpoints seq after n records were applied. A skipped record the
// checkpoint passes is forgotten: it is behind every later run.
func (r *Replicator) advance(seq uint64, n int) error {
	var err error
	if r.opts.Cursor == "" {
		err = r.j.SetApplied(seq)
	} else {
		err = r.j.SetCursor(r.opts.Cursor, seq, n)
	}
	if err == nil {
		r.mu.Lock()
		if r.skip != 0 && seq >= r.skip {
			r.skip = 0
		}
		r.mu.Unlock()
	}
	return err
}

// idle waits for new records. A replicator that skipped records for another target
// moves its cursor past them first, at most once per idleCheckpoint, so that the
// journal's checkpoint follows and segments are deleted.
func (r *Replicator) idle(ctx context.Context, changed <-chan struct{}, sc *scan) error {
	var tick <-chan time.Time
	if sc.seq > sc.saved {
		if wait := idleCheckpoint - r.opts.Now().Sub(sc.at); wait > 0 {
			t := time.NewTimer(wait)
			defer t.Stop()
			tick = t.C
		} else {
			if err := r.advance(sc.seq, 0); err != nil {
				return err
			}
			sc.saved, sc.at = sc.seq, r.opts.Now()
		}
	}
	select {
	case <-ctx.Done():
	case <-changed:
	case <-tick:
	}
	return nil
}
