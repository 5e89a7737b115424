package proxy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"

	"github.com/esdr/esdr/internal/route/proxy/h1"
)

// A connection's state, for Shutdown: an idle one (waiting for a request) is closed at
// once, an active one finishes its request first.
const (
	stateIdle int32 = iota
	stateActive
	stateClosed
)

// srvBufSize is each direction's pooled buffer on a client connection. A request head
// longer than it moves the connection to a reader of max_header_bytes (grow).
const srvBufSize = 4 << 10

var srvReaders, srvWriters sync.Pool

// srvConn is one client connection and everything its requests reuse.
type srvConn struct {
	s      *h1Server
	nc     net.Conn
	bounds bounder // nc's deadlines for the reads and writes that wait
	br     *bufio.Reader
	bw     *bufio.Writer
	pooled bool // br came from srvReaders
	state  atomic.Int32
	ctx    context.Context // every request's: ended when the connection ends
	cancel context.CancelFunc
	remote string
	// tlsKnown: base.TLS is set (nil on plaintext), once the first head was read.
	tlsKnown bool

	head  h1.Request
	base  http.Request // carries ctx: each request starts as a copy of it
	r     http.Request
	url   url.URL
	hdr   http.Header
	vals  []string
	hvals []string // the answers' header values (srvWriter.headerValues)
	body  srvBody
	w     srvWriter
	wmu   sync.Mutex // the writer's commit against a 100 Continue sent from another goroutine
	watch clientWatch
}

func newSrvConn(s *h1Server, nc net.Conn) *srvConn {
	c := &srvConn{s: s, nc: nc, bounds: boundsOf(nc), remote: nc.RemoteAddr().String(), hdr: http.Header{}}
	cc := newConnCtx()
	c.ctx, c.cancel = cc, cc.cancel
	c.base = *(&http.Request{}).WithContext(c.ctx)
	c.body.c, c.w.c, c.w.h = c, c, http.Header{}
	c.watch.init(c)
	return c
}

// serve reads and answers requests until the connection ends.
func (c *srvConn) serve() {
	defer c.end()
	if br, ok := srvReaders.Get().(*bufio.Reader); ok {
		br.Reset(c.nc)
		c.br, c.pooled = br, true
	} else {
		c.br, c.pooled = bufio.NewReaderSize(c.nc, srvBufSize), true
	}
	if bw, ok := srvWriters.Get().(*bufio.Writer); ok {
		bw.Reset(deadlineWriter{c})
		c.bw = bw
	} else {
		c.bw = bufio.NewWriterSize(deadlineWriter{c}, srvBufSize)
	}
	first := true
	for {
		if !c.await(first) {
			return
		}
		first = false
		if err := c.readHead(); err != nil {
			c.refuse(err)
			return
		}
		if !c.exchange() {
			return
		}
		if !c.state.CompareAndSwap(stateActive, stateIdle) || c.s.closing.Load() {
			return
		}
	}
}

// await waits for the next request's first byte: the idle timeout between requests,
// the read-header timeout for the first. It marks the connection active.
func (c *srvConn) await(first bool) bool {
	if c.br.Buffered() == 0 {
		wait := c.s.cfg.IdleTimeout
		if first {
			wait = c.s.cfg.ReadHeaderTimeout
		}
		c.bounds.ReadWithin(wait)
		if _, err := c.br.Peek(1); err != nil {
			return false
		}
	}
	if !c.state.CompareAndSwap(stateIdle, stateActive) {
		return false // Shutdown closed it as idle
	}
	return true
}

// readHead reads until the buffer holds a whole request head and parses it, under the
// read-header timeout from the head's first byte.
func (c *srvConn) readHead() error {
	c.bounds.ReadWithin(c.s.cfg.ReadHeaderTimeout)
	for {
		b, _ := c.br.Peek(c.br.Buffered())
		err := h1.ParseRequest(b, c.s.lim, &c.head)
		if !errors.Is(err, h1.ErrIncomplete) {
			return err
		}
		if bytes.Contains(b, []byte("\n\n")) {
			// A head ended by bare LFs never ends in CRLF CRLF: refuse it now rather
			// than at the read-header timeout.
			return fmt.Errorf("%w: a line ended by a bare LF", h1.ErrMalformed)
		}
		if len(b) == c.br.Size() && !c.grow() {
			return h1.ErrHeadTooLarge
		}
		if _, err := c.br.Peek(len(b) + 1); err != nil && c.br.Buffered() <= len(b) {
			return err
		}
	}
}
