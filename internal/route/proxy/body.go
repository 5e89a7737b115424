package proxy

import (
	"errors"
	"io"
	"slices"
	"sync"
	"sync/atomic"
)

// errBodyGone is what an attempt's body reader returns once the attempt is over, or when
// the bytes it needs were not kept.
var errBodyGone = errors.New("proxy: request body no longer available for this attempt")

// errTooLarge is whole's answer to a body longer than its limit.
var errTooLarge = errors.New("proxy: request body larger than the limit for reading it whole")

// clientBodyError is a failure reading the request body from the client (gone, stalled,
// malformed chunks): whatever an upstream client makes of it, no node is to blame.
type clientBodyError struct{ err error }

func (e *clientBodyError) Error() string {
	return "reading the request body from the client: " + e.err.Error()
}
func (e *clientBodyError) Unwrap() error { return e.err }

// fromClient tags a read error of the client's body; io.EOF stays as it is.
func fromClient(err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	return &clientBodyError{err}
}

// replay streams a client's request body to one attempt after another. It keeps what
// has been read from the client up to a limit, so a later attempt can send it again
// from the start; past the limit it keeps nothing and only the first attempt can read,
// unless no byte was read at all. Nothing is read ahead: the body streams at the pace
// the node takes it.
//
// The transport may still read an attempt's body after RoundTrip returned, so each
// attempt has its own reader, detached when the attempt ends, and reads are serialized.
type replay struct {
	mu       sync.Mutex
	src      io.Reader
	limit    int64
	size     int64 // the announced length, -1 when unknown
	kept     []byte
	consumed int64 // bytes read from src so far
	overflow bool  // consumed > limit: kept is dropped
	srcErr   error // io.EOF once src is done
}

// newReplay wraps src; size is the announced length (-1 when unknown), used to size the
// kept copy once instead of growing it.
func newReplay(src io.Reader, limit, size int64) *replay {
	b := &replay{src: src, limit: limit, size: size}
	if size > 0 && size <= limit {
		b.kept = make([]byte, 0, size)
	}
	return b
}

// canReplay reports whether a new attempt can send the body from its start.
func (b *replay) canReplay() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.overflow || b.consumed == 0
}

// whole reads the rest of the body from the client and returns all of it, keeping it for
// every later attempt: a request signed with SigV4 is signed over its payload's hash. A
// body over most bytes is errTooLarge, refused before any read when its announced length
// says so; errBodyGone when an earlier attempt streamed bytes that were not kept. The
// returned bytes are never written again.
func (b *replay) whole(most int64) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.overflow:
		return nil, errBodyGone
	case b.size > most:
		return nil, errTooLarge
	case errors.Is(b.srcErr, io.EOF):
		return b.kept, nil
	case b.srcErr != nil:
		return nil, b.srcErr
	}
	b.limit = max(b.limit, most)
	if b.size > 0 {
		b.kept = slices.Grow(b.kept, int(b.size)-len(b.kept))
	}
	for {
		if len(b.kept) == cap(b.kept) {
			b.kept = slices.Grow(b.kept, wholeReadSize)
		}
		n, err := b.src.Read(b.kept[len(b.kept):cap(b.kept)])
		err = fromClient(err)
		b.kept, b.consumed = b.kept[:len(b.kept)+n], b.consumed+int64(n)
		if b.consumed > most {
			b.overflow, b.kept, b.srcErr = true, nil, errTooLarge
			return nil, errTooLarge
		}
		if err != nil {
			b.srcErr = err
			if errors.Is(err, io.EOF) {
				return b.kept, nil
			}
			return nil, err
		}
	}
}

// wholeReadSize is what whole grows its buffer by for a body of unknown length.
const wholeReadSize = 32 << 10

// clientFailed returns the error that ended reading the body from the client, or nil.
func (b *replay) clientFailed() error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var ce *clientBodyError
	if errors.As(b.srcErr, &ce) {
		return ce
	}
	return nil
}

// reader returns the body for a new attempt, reading from the start.
func (b *replay) reader() *attemptBody { return &attemptBody{b: b} }

// attemptBody is one attempt's view of the body. Close does not close the client's body:
// the server does that when the handler returns.
type attemptBody struct {
	b        *replay
	pos      int64
	detached atomic.Bool
}

func (a *attemptBody) Read(p []byte) (int, error) {
	if a.detached.Load() {
		return 0, errBodyGone
	}
	b := a.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if a.detached.Load() {
		return 0, errBodyGone
	}
	if a.pos < b.consumed {
		if b.overflow {
			return 0, errBodyGone
		}
		n := copy(p, b.kept[a.pos:])
		a.pos += int64(n)
		return n, nil
	}
	if b.srcErr != nil {
		return 0, b.srcErr
	}
	n, err := b.src.Read(p)
	err = fromClient(err)
	if n > 0 {
		b.consumed += int64(n)
		a.pos += int64(n)
		switch {
		case b.overflow:
		case b.consumed > b.limit:
			b.overflow, b.kept = true, nil
		default:
			b.kept = append(b.kept, p[:n]...)
		}
	}
	if err != nil {
		b.srcErr = err
	}
	return n, err
}

// Close is a no-op; detach ends the attempt's use of the body.
func (a *attemptBody) Close() error { return nil }

// detach stops this attempt from reading any further. It never blocks, even while the
// transport waits in a read of the client's body.
func (a *attemptBody) detach() { a.detached.Store(true) }
