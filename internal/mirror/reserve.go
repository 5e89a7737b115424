package mirror

import (
	"context"
	"errors"
	"fmt"
)

// reserveSlack covers what may change between Reserve and Append: the time, epoch and
// cluster fields, and a path rewritten with an assigned id.
const reserveSlack = 128

// Reservation is room in the journal set aside for one record. The proxy reserves before
// it forwards a write and appends after the active cluster accepted it, so that the
// journal never has to refuse a write the active cluster already holds: when the journal
// is full, the write is refused before anything changed.
type Reservation struct {
	j    *Journal
	size int64
	done bool // appended or released; guarded by j.mu
}

// Reserve sets aside room for rec (as it will be appended, give or take reserveSlack
// bytes). It fails with ErrJournalFull when the standby lags so far that the journal's
// bound would be passed. Every Reservation must be appended or released.
func (j *Journal) Reserve(rec Record) (*Reservation, error) {
	payload := int64(len(rec.Method) + len(rec.Path) + len(rec.Query) + len(rec.ContentType) + len(rec.Cluster) + len(rec.Body))
	if payload > j.opts.MaxRecordBytes {
		return nil, fmt.Errorf("mirror: record of %d bytes over the journal's %d-byte bound", payload, j.opts.MaxRecordBytes)
	}
	size := headerSize + payload + reserveSlack
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case j.closed:
		return nil, ErrClosed
	case j.failed != nil:
		return nil, j.failed
	case j.total+j.held+size > j.opts.MaxBytes:
		return nil, fmt.Errorf("%w: %d of %d bytes in use, %d records not yet applied to the standby "+
			"(applied up to seq %d of %d); writes are refused rather than lost: bring the standby "+
			"back or fix replication, or take this pair out of mirror mode",
			ErrJournalFull, j.total+j.held, j.opts.MaxBytes, j.written-j.applied, j.applied, j.written)
	}
	j.held += size
	return &Reservation{j: j, size: size}, nil
}

// Release gives the room back without appending (the active cluster refused the write).
// Releasing an appended or released reservation does nothing.
func (r *Reservation) Release() {
	r.j.mu.Lock()
	defer r.j.mu.Unlock()
	if !r.done {
		r.done = true
		r.j.held -= r.size
	}
}

// Append writes rec in the reserved room and returns its sequence number once it is on
// stable storage. Appends that arrive while another's fsync is running are written at
// once and made durable together by the next fsync: N concurrent Appends cost about one
// fsync. The record is written even if it came out a little larger than reserved.
//
// Use a ctx that outlives the client's request: the active cluster already holds the
// write, and the standby must get it too. An error may come after the record was written
// (ctx ended, fsync failed): like an acknowledgement lost on the wire, the caller must
// report a failure, and the record may still be replicated.
func (r *Reservation) Append(ctx context.Context, rec Record) (uint64, error) {
	b, pcrc := encodePayload(&rec)
	j := r.j
	j.mu.Lock()
	if r.done {
		j.mu.Unlock()
		return 0, errors.New("mirror: reservation already used")
	}
	r.done = true
	j.held -= r.size
	switch {
	case j.closed:
		j.mu.Unlock()
		return 0, ErrClosed
	case j.failed != nil:
		err := j.failed
		j.mu.Unlock()
		return 0, err
	}
	seq := j.next
	seal(b, pcrc, seq)
	if _, err := j.f.Write(b); err != nil {
		// The file may now end in a partial record: stop here; Open truncates it.
		j.failLocked(fmt.Errorf("mirror: journal %s: write: %w", j.segs[len(j.segs)-1].path, err))
		err = j.failed
		j.mu.Unlock()
		return 0, err
	}
	j.next++
	j.written = seq
	j.segs[len(j.segs)-1].size += int64(len(b))
	j.total += int64(len(b))
	j.mu.Unlock()
	return seq, j.waitDurable(ctx, seq)
}
