package proxy

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/esdr/esdr/internal/route/proxy/h1"
)

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

// endStalled ends a request whose body stalled (pace.go): the handler's answer if it
// gave one (mirror mode's), else 408, written within write_timeout; then the connection
// closes.
func (c *srvConn) endStalled(r *http.Request) {
	if !c.w.committed {
		c.w.reset(r.Method == http.MethodHead, c.head.Minor, false)
		stallError(c.s.cfg).write(&c.w, r, "", 0)
	}
	c.w.closeAfter = true
	if c.w.end() == nil {
		lingerClose(c.nc) // the client may still be sending: a reset could destroy the answer
	}
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

// end closes the connection and gives its buffers back.
func (c *srvConn) end() {
	c.cancel()
	c.watch.end()
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
	c.watch.start()
	defer c.watch.stop()
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
