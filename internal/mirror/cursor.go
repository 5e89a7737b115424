package mirror

import (
	"fmt"
	"regexp"
)

// A cursor is one target's checkpoint in a journal shared by several targets: "every
// record up to this seq that is destined for the target has been applied to it". Each
// target has its own, so a target that cannot take records (the cluster a switchover
// fenced, a cluster that is down) holds back only its own records, never another
// target's: one ordered stream per target. The journal's own checkpoint (the `applied`
// file, Stats.Applied) is then the lowest cursor, the point up to which every target has
// everything; segments are deleted only behind it.
//
// A cursor is stored like the checkpoint, in its own file applied.<name>, replaced
// atomically. A cursor with no file yet starts at the journal's checkpoint, which is
// always at or behind every cursor on disk (cursors are written before it).

// cursorName is what a cursor file may be called after: a cluster name (see
// config's cluster name rule), so that it is a plain file name.
var cursorName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// cursor is a tracked target's checkpoint and how many records it applied since Open.
type cursor struct {
	seq     uint64
	applied uint64
}

// Track declares the targets the journal is applied to, each with its own cursor, and
// loads their cursors from disk. Calling it again with names already tracked is a no-op.
// Once targets are tracked, advance them with SetCursor, not SetApplied.
func (j *Journal) Track(names ...string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.cursors == nil {
		j.cursors = map[string]*cursor{}
	}
	for _, name := range names {
		if !cursorName.MatchString(name) {
			return fmt.Errorf("mirror: journal cursor %q: want a cluster name (lowercase letters, digits, dashes)", name)
		}
		if _, ok := j.cursors[name]; ok {
			continue
		}
		seq, err := readCheckpointFile(j.dir, checkpointFile+"."+name)
		if err != nil {
			return err
		}
		if seq > j.durable {
			return fmt.Errorf("%w: the cursor of %s is at seq %d but the journal ends at %d", ErrCorrupt, name, seq, j.durable)
		}
		j.cursors[name] = &cursor{seq: max(seq, j.applied)}
	}
	return nil
}

// Cursor returns target's checkpoint and the records applied through it since Open. An
// untracked name gets the journal's checkpoint.
func (j *Journal) Cursor(name string) (seq, applied uint64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if c, ok := j.cursors[name]; ok {
		return c.seq, c.applied
	}
	return j.applied, 0
}

// SetCursor durably records that target name has every record destined for it up to
// seq, n of which were applied since its last cursor, then moves the journal's
// checkpoint to the lowest cursor (deleting segments every target is done with).
func (j *Journal) SetCursor(name string, seq uint64, n int) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	c, ok := j.cursors[name]
	switch {
	case j.closed:
		return ErrClosed
	case !ok:
		return fmt.Errorf("mirror: journal cursor %q is not tracked", name)
	case seq < c.seq:
		return fmt.Errorf("mirror: cursor %s at seq %d cannot go back to %d", name, c.seq, seq)
	case seq > j.durable:
		return fmt.Errorf("mirror: cursor %s: seq %d is past the last durable record %d", name, seq, j.durable)
	case seq == c.seq && n == 0:
		return nil
	}
	if seq > c.seq {
		if err := writeCheckpointFile(j.dir, checkpointFile+"."+name, seq); err != nil {
			return err
		}
	}
	c.seq, c.applied = seq, c.applied+uint64(n)
	low := seq
	for _, o := range j.cursors {
		low = min(low, o.seq)
	}
	if low > j.applied {
		return j.setAppliedLocked(low) // notifies
	}
	j.notifyLocked() // wakes writes waiting for this target to catch up (Mirror.drain)
	return nil
}
