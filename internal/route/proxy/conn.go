package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http/httptrace"
	"sync/atomic"
	"syscall"
	"time"
)

// countingConn counts the bytes written to a node's connection, so an attempt can tell
// "nothing of the request left this process" (safe to send elsewhere) from "some of it
// did" (a write's outcome is then unknown).
type countingConn struct {
	net.Conn
	bounds  bounder
	written atomic.Int64
}

func (c *countingConn) ReadBound(t time.Time)       { c.bounds.ReadBound(t) }
func (c *countingConn) ReadWithin(d time.Duration)  { c.bounds.ReadWithin(d) }
func (c *countingConn) WriteWithin(d time.Duration) { c.bounds.WriteWithin(d) }

// SyscallConn is the socket's, for h1.Conn's liveness check without deadlines.
func (c *countingConn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, errors.New("proxy: not a socket")
	}
	return sc.SyscallConn()
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.written.Add(int64(n))
	return n, err
}

// countingDial wraps dial so every connection counts its written bytes.
func countingDial(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if tc, ok := c.(*net.TCPConn); ok {
			c = newRawSock(tc)
		}
		return &countingConn{Conn: c, bounds: boundsOf(c)}, nil
	}
}

// writeCounter returns the counter of a connection the transport handed out, looking
// through TLS; nil when the connection is not one of ours.
func writeCounter(c net.Conn) *atomic.Int64 {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if cc, ok := c.(*countingConn); ok {
		return &cc.written
	}
	return nil
}

// sendTracker follows one attempt's connection: which one it got, and the byte count
// at that moment.
type sendTracker struct {
	counter  atomic.Pointer[atomic.Int64]
	baseline atomic.Int64
	headers  atomic.Bool // WroteHeaders fired: the fallback when counting is unavailable
}

// gotConn is the attempt's httptrace GotConn hook.
func (t *sendTracker) gotConn(ci httptrace.GotConnInfo) {
	if ctr := writeCounter(ci.Conn); ctr != nil {
		t.baseline.Store(ctr.Load())
		t.counter.Store(ctr)
	}
}

// wroteHeaders is the attempt's httptrace WroteHeaders hook.
func (t *sendTracker) wroteHeaders() { t.headers.Store(true) }

// sent reports whether any byte of the request may have reached the node.
func (t *sendTracker) sent() bool {
	if ctr := t.counter.Load(); ctr != nil {
		return ctr.Load() > t.baseline.Load()
	}
	return t.headers.Load()
}
