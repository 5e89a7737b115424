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

// cursor is a tracked target's checkpoint: seq in memory, which drains and the lag read
// and which moves after every applied run (MoveCursor); saved, in its file, which moves
// at most once a second (SetCursor: each write is three fsyncs, on the disk the journal's
// own fsyncs need) and is where a restart resumes; and how many records it applied since
// Open.
type cursor struct {
	seq     uint64
	saved   uint64
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
		seq = max(seq, j.applied)
		j.cursors[name] = &cursor{seq: seq, saved: seq}
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

// MoveCursor records in memory that target name has every record destined for it up
// to seq, n of which were applied since the last move: drains and the lag see it at
// once. Its file follows with SetCursor; a restart before that resumes from the file and
// applies those records again, which replay makes harmless.
func (j *Journal) MoveCursor(name string, seq uint64, n int) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	_, err := j.moveCursorLocked(name, seq, n)
	return err
}

func (j *Journal) moveCursorLocked(name string, seq uint64, n int) (*cursor, error) {
	c, ok := j.cursors[name]
	switch {
	case j.closed:
		return nil, ErrClosed
	case !ok:
		return nil, fmt.Errorf("mirror: journal cursor %q is not tracked", name)
	case seq < c.seq:
		return nil, fmt.Errorf("mirror: cursor %s at seq %d cannot go back to %d", name, c.seq, seq)
	case seq > j.durable:
		return nil, fmt.Errorf("mirror: cursor %s: seq %d is past the last durable record %d", name, seq, j.durable)
	}
	if seq > c.seq || n > 0 {
		c.seq, c.applied = seq, c.applied+uint64(n)
		j.notifyLocked() // wakes writes waiting for this target to catch up (Mirror.drain)
	}
	return c, nil
}

// SetCursor is MoveCursor, then the cursor's file: durably, target name has every
// record destined for it up to seq. Then the journal's checkpoint moves to the lowest
// cursor on disk (deleting segments every target is done with). The files are written
// outside the journal's lock: appends never wait behind their fsyncs.
func (j *Journal) SetCursor(name string, seq uint64, n int) error {
	j.ckMu.Lock()
	defer j.ckMu.Unlock()
	j.mu.Lock()
	c, err := j.moveCursorLocked(name, seq, n)
	j.mu.Unlock()
	if err != nil || seq <= c.saved {
		return err
	}
	if err := j.saveFile(j.dir, checkpointFile+"."+name, seq); err != nil {
		return err
	}
	j.mu.Lock()
	c.saved = seq
	low := seq
	for _, o := range j.cursors {
		low = min(low, o.saved)
	}
	j.mu.Unlock()
	return j.raiseApplied(low)
}
