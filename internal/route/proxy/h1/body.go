package h1

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ErrEarlyAnswer: the node began its answer before the request body was sent whole
// (Elasticsearch's 413 past http.max_content_length, a 401). The answer is there to
// read; the connection is not reused.
var ErrEarlyAnswer = errors.New("h1: the node answered before the request body was sent whole")

// BodyError is a failure to read the request body being sent: the sender's fault, not
// the node's. The node got a request cut short of its framing, which it never applies.
type BodyError struct{ Err error }

func (e *BodyError) Error() string { return "h1: reading the request body: " + e.Err.Error() }
func (e *BodyError) Unwrap() error { return e.Err }

// scratchSize is the largest read of a request body, each sent at once.
const scratchSize = 16 << 10

// sendBody sends length bytes of body after the buffered head (-1: until body's EOF,
// each read re-sent as a chunk). Each read is written and flushed at once, as net/http
// does for chunks: the node gets what the client sent without waiting for more. Before
// each read but the first, a non-blocking peek looks for an early answer from the node,
// so an upload it refused is not pushed on into a connection it no longer reads.
func (c *Conn) sendBody(body io.Reader, length int64) (err error) {
	defer func() { c.cut = err != nil }()
	if c.scratch == nil {
		c.scratch = make([]byte, scratchSize)
	}
	bw, sent := c.bw, int64(0)
	for first := true; ; first = false {
		if !first && c.plain && c.peek() == PeekData { // under TLS, records may be session tickets
			return ErrEarlyAnswer
		}
		p := c.scratch
		if length >= 0 && int64(len(p)) > length-sent {
			p = p[:length-sent]
		}
		n, rerr := body.Read(p)
		if n > 0 {
			if length < 0 {
				bw.WriteString(strconv.FormatInt(int64(n), 16))
				bw.WriteString("\r\n")
			}
			bw.Write(p[:n])
			if length < 0 {
				bw.WriteString("\r\n")
			}
			if err := bw.Flush(); err != nil {
				return err
			}
			sent += int64(n)
		}
		switch {
		case length >= 0 && sent == length:
			return nil // a body longer than announced is the server's to refuse
		case rerr == io.EOF && length < 0:
			bw.WriteString("0\r\n\r\n")
			return bw.Flush()
		case rerr == io.EOF:
			return &BodyError{fmt.Errorf("%d of %d bytes: %w", sent, length, io.ErrUnexpectedEOF)}
		case rerr != nil:
			return &BodyError{rerr}
		}
	}
}

// PeekResult is what a non-blocking peek at a socket found.
type PeekResult uint8

const (
	PeekEmpty  PeekResult = iota // nothing to read: the node is quiet
	PeekData                     // the node sent something
	PeekClosed                   // the node closed its side
	PeekFailed                   // the socket has an error
)

// peek looks at the socket without blocking or consuming (one recv with MSG_PEEK).
func (c *Conn) peek() PeekResult {
	if err := c.sock.Read(c.peekFn); err != nil {
		return PeekFailed
	}
	return c.peeked
}

// PeekFD is a non-blocking MSG_PEEK recv of one byte, called as a raw syscall so that
// it allocates nothing.
func PeekFD(fd uintptr) PeekResult {
	var b [1]byte
	n, _, errno := unix.Syscall6(unix.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&b[0])), 1,
		unix.MSG_PEEK|unix.MSG_DONTWAIT, 0, 0)
	switch {
	case errno == unix.EAGAIN:
		return PeekEmpty
	case errno != 0:
		return PeekFailed
	case n == 0:
		return PeekClosed
	}
	return PeekData
}

// HungUpFD reports whether the peer of socket fd has closed its side (a FIN or a reset
// arrived, POLLRDHUP), whatever bytes it sent before that still wait to be read: a close
// behind a pipelined request or a TLS record, which a peek cannot see.
func HungUpFD(fd uintptr) bool {
	p := [1]unix.PollFd{{Fd: int32(fd), Events: unix.POLLRDHUP}}
	n, err := unix.Poll(p[:], 0)
	return err == nil && n > 0 && p[0].Revents&(unix.POLLRDHUP|unix.POLLHUP|unix.POLLERR) != 0
}

// bodyReader reads the current answer's body and marks the connection reusable once the
// body ended well framed and the node keeps the connection.
type bodyReader struct{ c *Conn }

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.c.body.Read(p)
	if err == io.EOF {
		r := &b.c.resp
		b.c.reuse = r.KeepAlive && r.Body != BodyUntilClose && !b.c.cut
	}
	return n, err
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// lengthReader reads exactly left bytes: an end before them is a cut answer, never a
// whole one.
type lengthReader struct {
	r    io.Reader
	left int64
}

func (l *lengthReader) Read(p []byte) (int, error) {
	if l.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}
