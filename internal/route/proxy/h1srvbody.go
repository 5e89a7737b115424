package proxy

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esdr/esdr/internal/route/proxy/h1"
)

// maxDrain is the most of an unread request body read and dropped after the handler
// returned without reading it, so the connection can carry the next request (net/http
// drains 256 KiB as well); a longer rest closes the connection.
const maxDrain = 256 << 10

// srvBody is a request's body as the handler reads it: Content-Length bytes or a chunked
// body decoded strictly, straight from the connection's reader, nothing read ahead.
// The first read answers a 100-continue. Each read is paced (pace.go): body_timeout
// for a byte, min_body_rate on average. A read that fails (the client went away,
// stalled, or sent a malformed chunk) ends the connection's context, so the attempts of
// its request stop; a stalled body is answered 408 (exchange).
//
// Reads may come from another goroutine (net/http's Transport sends bodies from its
// own), and may still be in flight when the handler returns: finish cuts them.
type srvBody struct {
	c       *srvConn
	mu      sync.Mutex
	left    int64 // Content-Length bytes still to read
	chunked bool
	cr      h1.ChunkedReader
	expect  bool        // a 100-continue is owed before the first read
	done    atomic.Bool // read to its end (or there was none)
	err     error
	over    bool // the request has ended: reads fail
	gone    bool // a read failed on the connection, not on the body's framing
	stalled bool // a read failed on its deadline: the client stopped or was too slow
	pace    bodyPace
	cutting atomic.Bool // finish is cutting a read in flight: its timeout is not a stall
}

func (b *srvBody) reset(q *h1.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.left, b.chunked, b.expect, b.err, b.over, b.gone = q.ContentLength, q.Chunked, q.Expect100 && q.Minor == 1, nil, false, false
	b.stalled, b.pace = false, newBodyPace(b.c.s.cfg)
	b.cutting.Store(false)
	b.done.Store(!q.Chunked && q.ContentLength <= 0)
	if q.Chunked {
		b.cr.Reset(b.c.br)
	}
}

func (b *srvBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.over:
		return 0, errRequestOver
	case b.err != nil:
		return 0, b.err
	case b.done.Load():
		return 0, io.EOF
	case len(p) == 0:
		return 0, nil
	}
	if b.expect {
		b.expect = false
		if err := b.c.w.sendContinue(); err != nil {
			return 0, b.fail(err)
		}
	}
	start := time.Now()
	b.c.bounds.ReadBound(b.pace.deadline(start))
	n, err := b.read(p)
	b.pace.account(start, time.Now(), n)
	switch {
	case err == io.EOF:
		b.done.Store(true)
	case err != nil:
		err = b.fail(err)
	}
	return n, err
}

// read reads the next bytes of the body; io.EOF comes with its last bytes.
func (b *srvBody) read(p []byte) (int, error) {
	if b.chunked {
		return b.cr.Read(p)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.c.br.Read(p)
	b.left -= int64(n)
	switch {
	case b.left == 0:
		return n, io.EOF
	case err == io.EOF:
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

// fail records a failed read and ends the connection's context, so the request's
// attempts stop at once: the client is gone, stalled, or broke the framing (no node is
// to blame). A malformed chunk is answered 400 and a stall 408 (exchange).
func (b *srvBody) fail(err error) error {
	b.err = fmt.Errorf("proxy: request body from %s: %w", b.c.remote, err)
	if b.cutting.Load() {
		// finish cut a read the upstream client still made after the handler had
		// answered (net/http's Transport sends the body on after a node's early 413):
		// the client did nothing wrong, and the answer must still be written.
		return b.err
	}
	b.stalled = deadlineHit(err)
	b.gone = !errors.Is(err, h1.ErrBadChunk) && !b.stalled
	if b.stalled {
		b.c.s.timedOut(timeoutBody)
	}
	b.c.cancel()
	return b.err
}

// Close does nothing: the body belongs to the connection, which settles it after the
// handler returned.
func (b *srvBody) Close() error { return nil }

// finish ends the handler's use of the body once it returned. A read still in flight
// is cut (its connection then closes). It reports whether the body was read to its end
// and whether the client broke off under a read (a malformed chunk is answered).
func (b *srvBody) finish() (done, broken bool) {
	cut := false
	for !b.mu.TryLock() {
		cut = true
		b.cutting.Store(true)
		_ = b.c.nc.SetReadDeadline(time.Unix(1, 0))
		time.Sleep(time.Millisecond)
	}
	defer b.mu.Unlock()
	b.over = true
	return b.done.Load(), b.gone && !cut
}

// drain reads and drops the rest of a body the handler left, up to maxDrain bytes within
// the read-header timeout; true when it reached the end. A body whose 100-continue was
// never answered is not waited for.
func (b *srvBody) drain() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.expect || b.err != nil {
		return false
	}
	b.c.bounds.ReadWithin(b.c.s.cfg.ReadHeaderTimeout)
	var buf [4 << 10]byte
	for total := 0; total < maxDrain; {
		n, err := b.read(buf[:])
		total += n
		if err == io.EOF {
			b.done.Store(true)
			return true
		}
		if err != nil {
			b.err = err
			return false
		}
	}
	return false
}

// timedOut reports whether the body stalled (pace.go), once the request ended.
func (b *srvBody) timedOut() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stalled
}

// malformed returns the body's framing error once the request ended, or nil.
func (b *srvBody) malformed() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil && !b.gone && !b.stalled {
		return b.err
	}
	return nil
}
