package mirror

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Reader returns the journal's durable records in order from a given seq. It is not safe
// for concurrent use; the journal may be appended to while it reads.
type Reader struct {
	j    *Journal
	next uint64 // seq of the next record to return
	seg  segment
	f    *os.File
	off  int64
	hdr  [headerSize]byte
}

// NewReader returns a Reader whose first record is from (at least 1). Records already
// deleted with their segment cannot be read.
func (j *Journal) NewReader(from uint64) (*Reader, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if from == 0 {
		from = 1
	}
	if from < j.segs[0].first {
		return nil, fmt.Errorf("mirror: journal: seq %d was applied and deleted (the journal starts at %d)", from, j.segs[0].first)
	}
	return &Reader{j: j, next: from}, nil
}

// Next returns the next record, or io.EOF when every durable record has been read (more
// may come: wait on the journal and call Next again).
func (r *Reader) Next() (Record, error) {
	r.j.mu.Lock()
	durable, closed := r.j.durable, r.j.closed
	r.j.mu.Unlock()
	if r.next > durable {
		if closed {
			return Record{}, ErrClosed
		}
		return Record{}, io.EOF
	}
	for {
		if r.f == nil {
			if err := r.open(); err != nil {
				return Record{}, err
			}
		}
		n, err := r.f.ReadAt(r.hdr[:], r.off)
		if n == 0 && errors.Is(err, io.EOF) {
			// The end of this segment: the record is in the next one.
			seg, _ := r.j.segmentFor(r.next)
			if seg.first == r.seg.first {
				return Record{}, r.corrupt(fmt.Errorf("seq %d is durable but the segment ends", r.next))
			}
			_ = r.f.Close()
			r.f = nil
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return Record{}, fmt.Errorf("mirror: journal %s: %w", r.seg.path, err)
		}
		h, err := parseHeader(r.hdr[:n], r.j.opts.readBound())
		if err != nil {
			return Record{}, r.corrupt(err)
		}
		size := int64(headerSize) + int64(h.length)
		if h.seq < r.next { // skipping to the first wanted record
			r.off += size
			continue
		}
		buf := make([]byte, size)
		if _, err := r.f.ReadAt(buf, r.off); err != nil {
			return Record{}, r.corrupt(err)
		}
		rec, _, err := parseRecord(buf, r.j.opts.readBound())
		if err == nil && rec.Seq != r.next {
			err = fmt.Errorf("%w: seq %d where %d was expected", errSequence, rec.Seq, r.next)
		}
		if err != nil {
			return Record{}, r.corrupt(err)
		}
		r.off += size
		r.next++
		return rec, nil
	}
}

// open opens the segment holding r.next, at its start.
func (r *Reader) open() error {
	seg, ok := r.j.segmentFor(r.next)
	if !ok {
		return fmt.Errorf("mirror: journal: seq %d was applied and deleted", r.next)
	}
	f, err := os.Open(seg.path)
	if err != nil {
		return fmt.Errorf("mirror: journal: %w", err)
	}
	r.f, r.seg, r.off = f, seg, 0
	return nil
}

func (r *Reader) corrupt(err error) error {
	return fmt.Errorf("%w: %s at offset %d: %w", ErrCorrupt, r.seg.path, r.off, err)
}

// Close releases the open segment file.
func (r *Reader) Close() error {
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}

// segmentFor returns the segment that holds seq: the last one starting at or before it.
func (j *Journal) segmentFor(seq uint64) (segment, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for i := len(j.segs) - 1; i >= 0; i-- {
		if j.segs[i].first <= seq {
			return j.segs[i], true
		}
	}
	return segment{}, false
}
