package proxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

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
	br     *bufio.Reader
	bw     *bufio.Writer
	pooled bool // br came from srvReaders
	state  atomic.Int32
	ctx    context.Context // every request's: ended when the connection ends
	cancel context.CancelFunc
	remote string
	// tlsKnown: base.TLS is set (nil on plaintext), once the first head was read.
	tlsKnown bool

	head h1.Request
	base http.Request // carries ctx: each request starts as a copy of it
	r    http.Request
	url  url.URL
	hdr  http.Header
	vals []string
	body srvBody
	w    srvWriter
	wmu  sync.Mutex // the writer's commit against a 100 Continue sent from another goroutine
}

func newSrvConn(s *h1Server, nc net.Conn) *srvConn {
	c := &srvConn{s: s, nc: nc, remote: nc.RemoteAddr().String(), hdr: http.Header{}}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.base = *(&http.Request{}).WithContext(c.ctx)
	c.body.c, c.w.c, c.w.h = c, c, http.Header{}
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
		_ = c.nc.SetReadDeadline(time.Now().Add(wait))
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
	_ = c.nc.SetReadDeadline(time.Now().Add(c.s.cfg.ReadHeaderTimeout))
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

// grow moves the connection to a reader that holds max_header_bytes, keeping what was
// buffered; false when the reader is that large already.
func (c *srvConn) grow() bool {
	if c.br.Size() >= c.s.cfg.MaxHeaderBytes {
		return false
	}
	kept, _ := c.br.Peek(c.br.Buffered())
	pre := &prefixReader{pre: append([]byte(nil), kept...), r: c.nc}
	if c.pooled {
		c.br.Reset(nil)
		srvReaders.Put(c.br)
	}
	c.br, c.pooled = bufio.NewReaderSize(pre, c.s.cfg.MaxHeaderBytes), false
	return true
}

// prefixReader reads pre, then r.
type prefixReader struct {
	pre []byte
	r   io.Reader
}

func (p *prefixReader) Read(b []byte) (int, error) {
	if len(p.pre) > 0 {
		n := copy(b, p.pre)
		p.pre = p.pre[n:]
		return n, nil
	}
	return p.r.Read(b)
}

// refuse answers a head that could not be read: 431 when too large, 501 for a transfer
// coding other than chunked, 400 for anything else malformed; nothing when the client
// went away or was too slow. The connection then closes.
func (c *srvConn) refuse(err error) {
	var e *esError
	switch {
	case errors.Is(err, h1.ErrHeadTooLarge):
		e = newESError(http.StatusRequestHeaderFieldsTooLarge, typeBadRequest,
			"the request line and headers are larger than proxy.max_header_bytes")
	case errors.Is(err, h1.ErrUnsupportedCoding):
		e = newESError(http.StatusNotImplemented, typeBadRequest, "only the chunked transfer coding is accepted")
	case errors.Is(err, h1.ErrMalformed) && string(c.head.Method) == http.MethodConnect:
		e = newESError(http.StatusMethodNotAllowed, typeMethodNotAllowed,
			"CONNECT is not allowed: esdr forwards Elasticsearch requests, it is not a tunnel")
	case errors.Is(err, h1.ErrMalformed):
		e = newESError(http.StatusBadRequest, typeBadRequest, err.Error())
	default:
		return
	}
	c.s.refused(e.status)
	c.w.reset(false, 1, false)
	e.write(&c.w, &http.Request{Method: http.MethodGet}, "", 0)
	c.w.closeAfter = true
	if c.w.end() == nil {
		lingerClose(c.nc)
	}
}

// end closes the connection and gives its buffers back.
func (c *srvConn) end() {
	c.cancel()
	c.state.Store(stateClosed)
	_ = c.nc.Close()
	if c.pooled {
		c.br.Reset(nil)
		srvReaders.Put(c.br)
	}
	if c.bw != nil {
		c.bw.Reset(nil)
		srvWriters.Put(c.bw)
	}
	c.s.untrack(c)
}

// callHandler runs the handler, recovering a panic: http.ErrAbortHandler (the proxy
// cutting a response whose node broke off) silently, anything else logged. Either way
// the connection is then closed.
func (c *srvConn) callHandler(r *http.Request) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			ok = false
			if v != http.ErrAbortHandler {
				c.s.log.Error("proxy: handler panic", "remote", c.remote, "panic", v, "stack", string(debug.Stack()))
			}
		}
	}()
	c.s.h.ServeHTTP(&c.w, r)
	return true
}

// tlsState is the connection's TLS state once handshaken, or nil.
func (c *srvConn) tlsState() *tls.ConnectionState {
	if tc, ok := c.nc.(*tls.Conn); ok {
		cs := tc.ConnectionState()
		return &cs
	}
	return nil
}

// lingerTimeout and lingerBytes bound what is read and dropped after an answer that
// closes the connection while the client may still be sending (an early answer to an
// upload, a refusal): closing with unread bytes would reset the connection and could
// destroy the answer before the client reads it.
const (
	lingerTimeout = 500 * time.Millisecond
	lingerBytes   = 1 << 20
)

// lingerClose half-closes nc, reads what the client still sends within the bounds, and
// closes it.
func lingerClose(nc net.Conn) {
	if cw, ok := nc.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_ = nc.SetReadDeadline(time.Now().Add(lingerTimeout))
	_, _ = io.Copy(io.Discard, io.LimitReader(nc, lingerBytes))
	_ = nc.Close()
}
