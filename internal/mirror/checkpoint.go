package mirror

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
)

// checkpointFile holds the replicator's applied seq: 8 bytes big-endian then their
// CRC32-C. It is replaced atomically (temp file, fsync, rename, directory fsync), so it is
// always either the old or the new value.
const checkpointFile = "applied"

func readCheckpoint(dir string) (uint64, error) { return readCheckpointFile(dir, checkpointFile) }

// readCheckpointFile reads a checkpoint or cursor file of dir; a missing one is 0.
func readCheckpointFile(dir, name string) (uint64, error) {
	path := filepath.Join(dir, name)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("mirror: journal checkpoint: %w", err)
	}
	if len(b) != 12 || crc32.Checksum(b[:8], castagno) != binary.BigEndian.Uint32(b[8:]) {
		return 0, fmt.Errorf("%w: checkpoint %s is damaged (%d bytes)", ErrCorrupt, path, len(b))
	}
	return binary.BigEndian.Uint64(b[:8]), nil
}

func writeCheckpoint(dir string, seq uint64) error {
	return writeCheckpointFile(dir, checkpointFile, seq)
}

// writeCheckpointFile replaces the checkpoint or cursor file name of dir with seq.
func writeCheckpointFile(dir, name string, seq uint64) error {
	b := binary.BigEndian.AppendUint64(nil, seq)
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagno))
	tmp := filepath.Join(dir, name+".tmp")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("mirror: journal checkpoint: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		return fmt.Errorf("mirror: journal checkpoint: %w", err)
	}
	return nil
}

// SetApplied durably records that the standby has acknowledged every record up to seq,
// then deletes the segments that hold only such records. seq may not pass the last
// durable record nor go backwards. It is for a journal with one target; one with tracked
// targets moves with SetCursor.
func (j *Journal) SetApplied(seq uint64) error {
	j.ckMu.Lock()
	defer j.ckMu.Unlock()
	j.mu.Lock()
	var err error
	switch {
	case j.cursors != nil:
		err = fmt.Errorf("mirror: the journal has targets (%d); advance their cursors with SetCursor", len(j.cursors))
	case j.closed:
		err = ErrClosed
	case seq < j.applied:
		err = fmt.Errorf("mirror: applied seq %d is behind the checkpoint %d", seq, j.applied)
	case seq > j.durable:
		err = fmt.Errorf("mirror: applied seq %d is past the last durable record %d", seq, j.durable)
	}
	j.mu.Unlock()
	if err != nil {
		return err
	}
	return j.raiseApplied(seq)
}

// raiseApplied moves the checkpoint up to seq: its file first, outside the journal's
// lock (appends never wait behind its fsyncs; j.ckMu, held, orders the writers), then
// the segments every target is done with are deleted.
func (j *Journal) raiseApplied(seq uint64) error {
	j.mu.Lock()
	done := seq <= j.applied
	j.mu.Unlock()
	if done {
		return nil
	}
	if err := j.saveFile(j.dir, checkpointFile, seq); err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.applied = seq
	j.notifyLocked() // wakes writes waiting for the standby to catch up (Mirror.drain)
	// A segment's last record is the next segment's first minus one; the active segment
	// is never deleted.
	for len(j.segs) > 1 && j.segs[1].first-1 <= seq {
		if err := os.Remove(j.segs[0].path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("mirror: journal: deleting applied segment: %w", err)
		}
		j.total -= j.segs[0].size
		j.segs = j.segs[1:]
	}
	return nil
}

// Stats is a snapshot of the journal for status, metrics and the lag bound.
type Stats struct {
	Bytes    int64  // on disk, in all segments
	MaxBytes int64  // the bound
	Segments int    // segment files
	Durable  uint64 // last record on stable storage
	Applied  uint64 // last record the standby acknowledged
	Syncs    uint64 // group-commit fsyncs since Open
}

// Unapplied is the number of durable records the standby has not acknowledged.
func (s Stats) Unapplied() uint64 { return s.Durable - s.Applied }

// Stats returns the journal's current counters.
func (j *Journal) Stats() Stats {
	j.mu.Lock()
	defer j.mu.Unlock()
	return Stats{Bytes: j.total, MaxBytes: j.opts.MaxBytes, Segments: len(j.segs), Durable: j.durable, Applied: j.applied, Syncs: j.syncs}
}
