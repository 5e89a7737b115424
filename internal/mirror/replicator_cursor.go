package mirror

import (
	"context"
	"time"
)

// Where a replicator resumes and how it records progress: the journal's checkpoint for
// its only target, or its own cursor in a journal shared by two (PairReplicators).

// checkpointEvery spaces the cursor's file writes: each is three fsyncs on the disk
// the journal's own fsyncs (which every mirrored write waits for) need, and records
// replayed one by one would otherwise write it hundreds of times a second. The cursor in
// memory moves after every run (drains and the lag read it); the file bounds what a
// restart applies again, which replay makes harmless.
const checkpointEvery = time.Second

// scan is how far a replicator has read (seq) and saved its checkpoint's file (saved,
// at), and the record it leaves out (skip, see Skip).
type scan struct {
	seq, saved, skip uint64
	at               time.Time
}

// checkpoint is where this replicator resumes from: its cursor in memory, which a
// restart of Run in this process can trust.
func (r *Replicator) checkpoint() uint64 {
	if r.opts.Cursor == "" {
		return r.j.Stats().Applied
	}
	seq, _ := r.j.Cursor(r.opts.Cursor)
	return seq
}

// advance durably checkpoints seq after n records were applied. A skipped record the
// checkpoint passes is forgotten: it is behind every later run.
func (r *Replicator) advance(seq uint64, n int) error {
	var err error
	if r.opts.Cursor == "" {
		err = r.j.SetApplied(seq)
	} else {
		err = r.j.SetCursor(r.opts.Cursor, seq, n)
	}
	if err == nil {
		r.passed(seq)
	}
	return err
}

// applied records that the records up to seq, n of them applied, are done: in memory
// at once, in the file when the last save is checkpointEvery old. A journal with one
// target (no cursor) saves every time.
func (r *Replicator) applied(seq uint64, n int, sc *scan) error {
	if r.opts.Cursor == "" || r.opts.Now().Sub(sc.at) >= checkpointEvery {
		if err := r.advance(seq, n); err != nil {
			return err
		}
		sc.saved, sc.at = seq, r.opts.Now()
		return nil
	}
	if err := r.j.MoveCursor(r.opts.Cursor, seq, n); err != nil {
		return err
	}
	r.passed(seq)
	return nil
}

// passed forgets a skipped record the checkpoint passed.
func (r *Replicator) passed(seq uint64) {
	r.mu.Lock()
	if r.skip != 0 && seq >= r.skip {
		r.skip = 0
	}
	r.mu.Unlock()
}

// save writes the checkpoint's file for everything read so far (sc.seq: applied, or
// for another target) when it is behind, as Run ends.
func (r *Replicator) save(sc *scan) error {
	if sc.seq <= sc.saved {
		return nil
	}
	if err := r.advance(sc.seq, 0); err != nil {
		return err
	}
	sc.saved, sc.at = sc.seq, r.opts.Now()
	return nil
}

// saveMoved writes the cursor's file up to the cursor in memory as Run ends, however it
// ends. Best effort: a restart without it applies those records again, which is harmless,
// and a journal closed first (esdr shutting down) has refused it for that reason.
func (r *Replicator) saveMoved() {
	if r.opts.Cursor == "" {
		return // saved after every run
	}
	seq, _ := r.j.Cursor(r.opts.Cursor)
	_ = r.j.SetCursor(r.opts.Cursor, seq, 0)
}

// idle waits for new records. The checkpoint's file catches up with what was read
// (applied, or skipped as another target's) first, at most once per checkpointEvery,
// so that it is current while nothing happens and the journal's checkpoint follows and
// segments are deleted.
func (r *Replicator) idle(ctx context.Context, changed <-chan struct{}, sc *scan) error {
	var tick <-chan time.Time
	if sc.seq > sc.saved {
		if wait := checkpointEvery - r.opts.Now().Sub(sc.at); wait > 0 {
			t := time.NewTimer(wait)
			defer t.Stop()
			tick = t.C
		} else if err := r.save(sc); err != nil {
			return err
		}
	}
	select {
	case <-ctx.Done():
	case <-changed:
	case <-tick:
	}
	return nil
}
