package mirror

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
)

// Recovery is what Open found on disk, for the caller to log.
type Recovery struct {
	Segments int
	// FirstSeq and LastSeq bound the records on disk (both 0 when there are none).
	FirstSeq, LastSeq uint64
	Applied           uint64 // the replicator's checkpoint
	// Truncated is set when the last segment ended in a torn record, from a crash in the
	// middle of a write, and was cut back to its last valid record.
	Truncated *Truncation
}

// Truncation describes a torn tail that Open removed. Those bytes were never fsynced, so
// no Append had returned for them.
type Truncation struct {
	File   string
	Offset int64 // the file's new size
	Bytes  int64 // bytes removed
	Reason string
}

// Open opens (creating if need be) the journal in dir, takes its lock, and checks every
// record. A torn record at the end of the last segment is truncated and reported; any
// other bad record fails with ErrCorrupt naming the file and offset.
func Open(dir string, opts Options) (*Journal, Recovery, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, Recovery{}, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, Recovery{}, fmt.Errorf("mirror: journal dir: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, Recovery{}, err
	}
	j := &Journal{dir: dir, opts: opts, lock: lock, changed: make(chan struct{}), fsync: (*os.File).Sync,
		fsyncs: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "esdr_mirror_journal_fsync_seconds",
			Help:    "Time of the journal's group-commit fsyncs: every mirrored write waits for one before its answer (and for the one running when it arrived).",
			Buckets: []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5}}),
		saveFile: writeCheckpointFile}
	rep, err := j.recover()
	if err != nil {
		_ = unlockDir(lock)
		return nil, rep, err
	}
	return j, rep, nil
}

// recover scans the segments, repairs a torn tail and opens the active segment.
func (j *Journal) recover() (Recovery, error) {
	var rep Recovery
	applied, err := readCheckpoint(j.dir)
	if err != nil {
		return rep, err
	}
	segs, err := listSegments(j.dir)
	if err != nil {
		return rep, err
	}
	rep.Applied, rep.Segments = applied, len(segs)
	next := applied + 1
	for i := range segs {
		s := &segs[i]
		if i > 0 && s.first != next {
			return rep, fmt.Errorf("%w: %s starts at seq %d, want %d (a segment is missing)", ErrCorrupt, s.path, s.first, next)
		}
		data, err := os.ReadFile(s.path)
		if err != nil {
			return rep, fmt.Errorf("mirror: journal: %w", err)
		}
		end, last, err := scanSegment(data, s.first, j.opts.readBound())
		if err != nil && (i < len(segs)-1 || !tornTail(data, end, j.opts.readBound())) {
			return rep, fmt.Errorf("%w: %s at offset %d: %w", ErrCorrupt, s.path, end, err)
		}
		if err != nil {
			if err := truncateFile(s.path, end); err != nil {
				return rep, err
			}
			rep.Truncated = &Truncation{File: s.path, Offset: end, Bytes: int64(len(data)) - end, Reason: err.Error()}
		}
		s.size = end
		j.total += end
		if end > 0 && rep.FirstSeq == 0 {
			rep.FirstSeq = s.first
		}
		next = last + 1
	}
	if len(segs) > 0 && segs[0].first > applied+1 {
		return rep, fmt.Errorf("%w: %s starts at seq %d but the standby has only applied up to %d", ErrCorrupt, segs[0].path, segs[0].first, applied)
	}
	if next-1 < applied {
		return rep, fmt.Errorf("%w: the checkpoint says seq %d was applied but the journal ends at %d", ErrCorrupt, applied, next-1)
	}
	if next > 1 && rep.FirstSeq != 0 {
		rep.LastSeq = next - 1
	}
	if len(segs) == 0 && applied > 0 {
		return rep, fmt.Errorf("%w: the checkpoint is at seq %d but there is no segment (the active one is never deleted): segment files were removed", ErrCorrupt, applied)
	}
	if len(segs) == 0 {
		f, s, err := createSegment(j.dir, next)
		if err != nil {
			return rep, err
		}
		_ = f.Close()
		segs = append(segs, s)
	}
	active := segs[len(segs)-1]
	f, err := os.OpenFile(active.path, os.O_WRONLY|os.O_APPEND, 0)
	if err == nil {
		err = f.Sync() // what survived a crash may still be only in the page cache
	}
	if err != nil {
		return rep, fmt.Errorf("mirror: journal: %w", err)
	}
	j.segs, j.f, j.next, j.applied = segs, f, next, applied
	j.written, j.durable = next-1, next-1
	return rep, nil
}

// scanSegment checks the records of one segment, which must be numbered from first. It
// returns the end of the last valid record, that record's seq (first-1 if none), and why
// scanning stopped early.
func scanSegment(data []byte, first uint64, maxPayload uint32) (int64, uint64, error) {
	off, want := 0, first
	for off < len(data) {
		rec, n, err := parseRecord(data[off:], maxPayload)
		if err != nil {
			return int64(off), want - 1, err
		}
		if rec.Seq != want {
			return int64(off), want - 1, fmt.Errorf("%w: seq %d where %d was expected", errSequence, rec.Seq, want)
		}
		off += n
		want++
	}
	return int64(off), want - 1, nil
}

var errSequence = errors.New("out of sequence")

// tornTail reports whether the bad bytes from off can be the tail of a write cut short by
// a crash: a record out of sequence is not, nor is any valid record after the bad one
// (then the damage is in the middle, and records after it were acknowledged).
func tornTail(data []byte, off int64, maxPayload uint32) bool {
	if _, _, err := parseRecord(data[off:], maxPayload); err == nil {
		return false // a valid record out of sequence
	}
	for i := int(off) + 1; i < len(data); {
		k := bytes.Index(data[i:], magic[:])
		if k < 0 {
			return true
		}
		if _, _, err := parseRecord(data[i+k:], maxPayload); err == nil {
			return false
		}
		i += k + 1
	}
	return true
}

// listSegments returns the segment files of dir, ascending.
func listSegments(dir string) ([]segment, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("mirror: journal dir: %w", err)
	}
	var segs []segment
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".seg")
		if !ok || e.IsDir() {
			continue
		}
		first, err := strconv.ParseUint(name, 10, 64)
		if err != nil || len(name) != 20 {
			return nil, fmt.Errorf("%w: unexpected file %s in the journal dir", ErrCorrupt, filepath.Join(dir, e.Name()))
		}
		segs = append(segs, segment{first: first, path: filepath.Join(dir, e.Name())})
	}
	sort.Slice(segs, func(a, b int) bool { return segs[a].first < segs[b].first })
	return segs, nil
}

// createSegment creates the empty segment whose first record will be first.
func createSegment(dir string, first uint64) (*os.File, segment, error) {
	path := filepath.Join(dir, fmt.Sprintf("%020d.seg", first))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err == nil {
		if err = syncDir(dir); err != nil {
			_ = f.Close()
		}
	}
	if err != nil {
		return nil, segment{}, fmt.Errorf("mirror: journal: new segment: %w", err)
	}
	return f, segment{first: first, path: path}, nil
}

func truncateFile(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err == nil {
		if err = f.Truncate(size); err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("mirror: journal: truncating torn tail: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// lockDir takes an exclusive, non-blocking lock on dir/LOCK: two processes appending to
// one journal would interleave records.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("mirror: journal lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("mirror: journal %s is in use by another process: %w", dir, err)
	}
	return f, nil
}

func unlockDir(f *os.File) error { return f.Close() }
