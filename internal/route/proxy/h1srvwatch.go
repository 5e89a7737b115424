package proxy

import (
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/esdr/esdr/internal/route/proxy/h1"
)

// watchAfter is how long a request may be in the handler before the h1 server starts
// watching its client connection for a close (up to twice that on a busy connection,
// see start). Requests shorter than this, nearly all, pay for no watch at all: two
// uncontended locks per request.
const watchAfter = 200 * time.Millisecond

// watching, when set (by tests only), is called as a watch begins waiting on its client.
var watching func()

// clientWatch notices a client that closes its connection while its request waits for
// a node (a slow search, the failover wait) and ends the connection's context, so the
// attempt is cut — its node connection closed, which Elasticsearch takes as the
// search's cancellation — instead of running on for nobody. net/http's server does this
// with a background read per request; here a goroutine waits on the socket's readiness
// only for requests still running after watchAfter (to 2×), and only once their body was read
// whole (until then the body's reads notice). Bytes the client sent meanwhile (a
// pipelined request, a TLS record such as the close_notify before a close) do not end
// the watch: a close behind them does (h1.HungUpFD), as it ends net/http's background
// read. Over TLS the watch peeks at the socket under the TLS connection.
type clientWatch struct {
	c     *srvConn
	raw   syscall.RawConn // nil: the connection cannot be watched
	timer *time.Timer
	peek  func(fd uintptr) bool // made once, allocation-free per use

	mu       sync.Mutex
	armed    bool   // a request is in the handler
	seq      uint64 // requests that entered it
	timed    uint64 // the one the pending timer counts for
	pending  bool   // the timer is set, or fire is running
	active   bool   // fire is watching
	watching sync.WaitGroup
	gone     bool // the last peek saw the client's close
}

func (w *clientWatch) init(c *srvConn) {
	w.c = c
	nc := c.nc
	if tc, ok := nc.(interface{ NetConn() net.Conn }); ok {
		nc = tc.NetConn() // TLS: its records are not read here, only the socket's close
	}
	if sc, ok := nc.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			w.raw = rc
		}
	}
	if w.raw == nil {
		return
	}
	w.peek = func(fd uintptr) bool {
		switch h1.PeekFD(fd) {
		case h1.PeekEmpty:
			return false // nothing yet: wait for readiness
		case h1.PeekData:
			if !h1.HungUpFD(fd) {
				return false // bytes but no close: wait for what comes next
			}
		}
		w.gone = true
		return true
	}
	w.timer = time.AfterFunc(time.Hour, w.fire)
	w.timer.Stop()
}

// start arms the watch for a request entering the handler. The timer is set only when
// none is pending: a busy connection's timer fires every watchAfter and, when another
// request is in the handler than the one it was set for, waits once more for it — a
// request is watched after watchAfter to twice that, for no timer change and no clock
// read per request.
func (w *clientWatch) start() {
	if w.raw == nil {
		return
	}
	w.mu.Lock()
	w.armed = true
	w.seq++
	set := !w.pending
	if set {
		w.pending, w.timed = true, w.seq
	}
	w.mu.Unlock()
	if set {
		w.timer.Reset(watchAfter)
	}
}

// stop disarms the watch once the handler returned, and waits for a watch in progress
// to end: its wait is cut by a read deadline in the past, which every later read of the
// connection replaces with its own. A pending timer stays: when it fires it finds the
// watch disarmed, or armed for a later request.
func (w *clientWatch) stop() {
	if w.raw == nil {
		return
	}
	w.mu.Lock()
	w.armed = false
	active := w.active
	w.mu.Unlock()
	if active {
		_ = w.c.nc.SetReadDeadline(time.Unix(1, 0)) // ends the wait
		w.watching.Wait()
	}
}

// end stops the timer for good: the connection is closed.
func (w *clientWatch) end() {
	w.stop()
	if w.timer != nil {
		w.timer.Stop()
	}
}

// fire runs on the timer's goroutine: it watches until the client closes, sends bytes,
// or the handler returns.
func (w *clientWatch) fire() {
	w.mu.Lock()
	if !w.armed {
		w.pending = false
		w.mu.Unlock()
		return
	}
	if w.timed != w.seq {
		w.timed = w.seq
		w.mu.Unlock()
		w.timer.Reset(watchAfter) // a later request than the one the timer was set for
		return
	}
	if !w.c.body.done.Load() {
		w.mu.Unlock()
		w.timer.Reset(watchAfter) // the body's own reads watch until it ends
		return
	}
	w.pending = false
	// No deadline while watching: the last one armed (the head's) may pass long before
	// a slow search ends. stop's deadline in the past comes after this one.
	_ = w.c.nc.SetReadDeadline(time.Time{})
	w.active = true
	w.watching.Add(1)
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.active = false
		w.mu.Unlock()
		w.watching.Done()
	}()
	w.gone = false
	if watching != nil {
		watching()
	}
	if err := w.raw.Read(w.peek); err == nil && w.gone {
		w.c.cancel()
	}
}
