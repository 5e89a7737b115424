package mirror

import (
	"errors"
	"fmt"
	"io"
)

// Skipping a record the standby refused for good. Replication never skips on its own:
// a record left out is a write the active cluster acknowledged that the target will
// never have. Skip is an operator's decision (esdr mirror restart --skip SEQ), taken
// while the replicator is stopped, for the one record it stopped at.

// ErrRunning is returned by Skip while the replicator runs: only a stopped replication
// may have its cursor moved under it.
var ErrRunning = errors.New("mirror: the replicator is running")

// Skip makes the replicator leave out record seq, which must be past its checkpoint and
// meant for its target, and returns that record. The replicator must be stopped (Run
// has returned); Skip holds it stopped while it works.
//
// When no record for this target lies between the checkpoint and seq (the refused
// record was the first one the replicator sent, or the first of its _bulk), the cursor
// is moved to seq at once, durably: the next Run starts after it. Otherwise the records
// before it have not all been acknowledged and the cursor cannot pass them; the next
// Run applies them again (harmless, see Replay) and leaves seq out, and the checkpoint
// passes it with the next records applied. A crash before then forgets the skip:
// replication stops at seq again, and the operator decides again.
func (r *Replicator) Skip(seq uint64) (Record, error) {
	if !r.running.CompareAndSwap(false, true) {
		return Record{}, ErrRunning
	}
	defer r.running.Store(false)
	from := r.checkpoint()
	if seq <= from {
		return Record{}, fmt.Errorf("mirror: skip seq %d: the checkpoint is at %d already", seq, from)
	}
	rd, err := r.j.NewReader(from + 1)
	if err != nil {
		return Record{}, fmt.Errorf("mirror: skip seq %d: %w", seq, err)
	}
	defer rd.Close()
	before := false // a record for this target lies between the checkpoint and seq
	for {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return Record{}, fmt.Errorf("mirror: skip seq %d: the journal ends before it (at seq %d)", seq, r.j.Stats().Durable)
		}
		if err != nil {
			return Record{}, fmt.Errorf("mirror: skip seq %d: %w", seq, err)
		}
		wanted := r.opts.Want == nil || r.opts.Want(rec)
		if rec.Seq < seq {
			before = before || wanted
			continue
		}
		if !wanted {
			return Record{}, fmt.Errorf("mirror: skip seq %d: the record is not meant for this target (accepted by %s)", seq, rec.Cluster)
		}
		if before {
			r.mu.Lock()
			r.skip = seq
			r.mu.Unlock()
			return rec, nil
		}
		// Counted as done, so that the journaled writes the target lacks (Mirror.Pending)
		// no longer count it.
		if err := r.advance(seq, 1); err != nil {
			return Record{}, fmt.Errorf("mirror: skip seq %d: %w", seq, err)
		}
		return rec, nil
	}
}

// skipping is the record the next run leaves out, 0 for none.
func (r *Replicator) skipping() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.skip
}

// Describe names what a record does, for an operator: its method and path, and the index
// and document id of a document operation.
func Describe(rec Record) string {
	s := rec.Method + " " + rec.Path
	if _, meta, ok := docOp(rec); ok {
		s += fmt.Sprintf(" (index %s, id %s)", meta.Index, meta.ID)
	}
	return s
}
