package mirror

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults applied by Open when the Options leave them zero.
const (
	DefaultMaxBytes       = 1 << 30   // 1 GiB of journal on disk
	DefaultSegmentBytes   = 32 << 20  // a new segment file every 32 MiB
	DefaultMaxRecordBytes = 100 << 20 // Elasticsearch's default http.max_content_length
)

// Options bound a Journal.
type Options struct {
	// MaxBytes bounds the segment files on disk. When the standby lags so far that the
	// next record would pass it, Append fails with ErrJournalFull.
	MaxBytes int64
	// SegmentBytes is the size at which the active segment is closed and a new one begun.
	// Only whole segments are deleted, so it must be at most a quarter of MaxBytes.
	SegmentBytes int64
	// MaxRecordBytes bounds one record's payload (about the request body).
	MaxRecordBytes int64
}

func (o Options) withDefaults() (Options, error) {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = min(DefaultSegmentBytes, o.MaxBytes/4)
	}
	if o.MaxRecordBytes <= 0 {
		o.MaxRecordBytes = min(DefaultMaxRecordBytes, o.MaxBytes/2)
	}
	switch {
	case o.SegmentBytes > o.MaxBytes/4:
		return o, fmt.Errorf("mirror: journal segment size %d must be at most a quarter of the max size %d", o.SegmentBytes, o.MaxBytes)
	case o.MaxRecordBytes > o.MaxBytes/2 || o.MaxRecordBytes > 1<<31:
		return o, fmt.Errorf("mirror: journal max record size %d must be at most half the max size %d (and under 2 GiB)", o.MaxRecordBytes, o.MaxBytes)
	}
	return o, nil
}

// readBound is the largest payload length a reader believes. It is looser than
// MaxRecordBytes (which bounds what Append accepts, approximately) so that a record
// written under an older, larger setting still reads; a garbled length past it, or past
// the file, is caught, and a smaller one fails the checksum.
func (o Options) readBound() uint32 { return uint32(min(o.MaxBytes, 1<<32-1)) }

// Journal is a durable, append-only log of writes in segment files of one directory,
// owned by one process at a time (an exclusive lock file). Append is safe for concurrent
// use; concurrent appenders share fsyncs (group commit).
type Journal struct {
	dir  string
	opts Options
	lock *os.File

	// ckMu orders the writers of the checkpoint and cursor files, which write outside
	// mu; taken before mu, never inside it.
	ckMu sync.Mutex

	mu      sync.Mutex
	segs    []segment          // ascending by first seq; the last one is active
	f       *os.File           // the active segment, open for appending
	next    uint64             // seq of the next record
	written uint64             // last seq written to the active file
	durable uint64             // last seq known to be on stable storage
	applied uint64             // durable checkpoint: every target has every record up to it
	cursors map[string]*cursor // per target, when tracked (see Track)
	total   int64              // bytes in all segments
	held    int64              // bytes reserved for records not yet appended
	syncing bool               // a group-commit leader is in fsync
	changed chan struct{}
	failed  error // sticky: after a failed write or fsync nothing more is accepted
	closed  bool
	syncs   uint64 // group-commit fsyncs, for Stats
	// fsyncs times the group-commit fsyncs (esdr_mirror_journal_fsync_seconds, registered
	// by RegisterMetrics): every mirrored write waits for one before its answer.
	fsyncs prometheus.Histogram

	// fsync is (*os.File).Sync; a test replaces it to hold a group-commit leader.
	fsync func(*os.File) error
	// saveFile is writeCheckpointFile; a test replaces it to hold or count the writes.
	saveFile func(dir, name string, seq uint64) error
}

// segment is one file of records; its name is its first seq.
type segment struct {
	first uint64
	path  string
	size  int64
}

// Append writes rec to the journal and returns its sequence number once it is on stable
// storage: Reserve followed by Reservation.Append. A proxy should Reserve before it
// forwards the write instead, so that a write the active cluster accepted always fits.
func (j *Journal) Append(ctx context.Context, rec Record) (uint64, error) {
	res, err := j.Reserve(rec)
	if err != nil {
		return 0, err
	}
	return res.Append(ctx, rec)
}

// waitDurable returns when seq is on stable storage. The first waiter to find no fsync
// running becomes the leader: it fsyncs everything written so far, on behalf of all.
func (j *Journal) waitDurable(ctx context.Context, seq uint64) error {
	j.mu.Lock()
	for {
		switch {
		case j.durable >= seq:
			j.mu.Unlock()
			return nil
		case j.failed != nil:
			err := j.failed
			j.mu.Unlock()
			return err
		case j.closed:
			j.mu.Unlock()
			return ErrClosed
		case !j.syncing:
			j.syncing = true
			target, f, path := j.written, j.f, j.segs[len(j.segs)-1].path
			j.mu.Unlock()
			start := time.Now()
			err := j.fsync(f) // only a leader closes or replaces f, so f stays open
			took := time.Since(start)
			j.mu.Lock()
			j.syncing = false
			j.syncs++
			j.fsyncs.Observe(took.Seconds())
			if err != nil {
				// Never retry a failed fsync: the kernel may have dropped the dirty pages.
				j.failLocked(fmt.Errorf("mirror: journal %s: fsync: %w", path, err))
			} else {
				j.durable = max(j.durable, target)
				if !j.closed && j.failed == nil && j.segs[len(j.segs)-1].size >= j.opts.SegmentBytes {
					if err := j.rotateLocked(); err != nil {
						j.failLocked(err)
					}
				}
			}
			j.notifyLocked()
			continue
		}
		ch := j.changed
		j.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("mirror: waiting for journal fsync of seq %d: %w", seq, ctx.Err())
		}
		j.mu.Lock()
	}
}

// rotateLocked makes the active segment durable, closes it and starts the next one.
func (j *Journal) rotateLocked() error {
	path := j.segs[len(j.segs)-1].path
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("mirror: journal %s: fsync: %w", path, err)
	}
	j.durable = j.written
	if err := j.f.Close(); err != nil {
		return fmt.Errorf("mirror: journal %s: close: %w", path, err)
	}
	f, seg, err := createSegment(j.dir, j.next)
	if err != nil {
		j.f = nil
		return err
	}
	j.f = f
	j.segs = append(j.segs, seg)
	return nil
}

// failLocked makes err sticky: the journal accepts nothing more until it is reopened.
func (j *Journal) failLocked(err error) {
	if j.failed == nil {
		j.failed = err
	}
}

// notifyLocked wakes everyone waiting for durability or new records.
func (j *Journal) notifyLocked() {
	close(j.changed)
	j.changed = make(chan struct{})
}

// changes returns a channel closed at the next change of durable, failed or closed.
func (j *Journal) changes() <-chan struct{} {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.changed
}

// Close waits for a running fsync, makes everything written durable, and releases the
// directory. Appends still waiting get ErrClosed unless their record was made durable.
func (j *Journal) Close() error {
	j.ckMu.Lock() // a checkpoint being written finishes before the directory is released
	defer j.ckMu.Unlock()
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil
	}
	j.closed = true
	for j.syncing {
		ch := j.changed
		j.mu.Unlock()
		<-ch
		j.mu.Lock()
	}
	var err error
	if j.f != nil {
		if j.failed == nil {
			if err = j.f.Sync(); err == nil {
				j.durable = j.written
			}
		}
		if cerr := j.f.Close(); err == nil {
			err = cerr
		}
	}
	j.notifyLocked()
	if uerr := unlockDir(j.lock); err == nil {
		err = uerr
	}
	if err != nil {
		return fmt.Errorf("mirror: closing journal %s: %w", j.dir, err)
	}
	return nil
}
