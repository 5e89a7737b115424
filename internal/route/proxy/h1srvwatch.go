package proxy

import (
	"sync"
	"syscall"
	"time"

	"github.com/esdr/esdr/internal/route/proxy/h1"
)

// watchAfter is how long a request may be in the handler before the h1 server starts
// watching its client connection for a close. Requests shorter than this, nearly all,
// pay for no watch at all: a timer reset and stop per request.
const watchAfter = 200 * time.Millisecond

// clientWatch notices a client that closes its connection while its request waits for
// a node (a slow search, the failover wait) and ends the connection's context, so the
// attempt is cut — its node connection closed, which Elasticsearch takes as the
// search's cancellation — instead of running on for nobody. net/http's server does this
// with a background read per request; here a goroutine waits on the socket's readiness
// only for requests still running after watchAfter, and only once their body was read
// whole (until then the body's reads notice). Bytes the client sent meanwhile (a
// pipelined request) end the watch undecided; so does TLS, whose records a peek cannot
// tell from a close.
type clientWatch struct {
	c     *srvConn
	raw   syscall.RawConn // nil: the connection cannot be watched
	timer *time.Timer
	peek  func(fd uintptr) bool // made once, allocation-free per use

	mu       sync.Mutex
	armed    bool // a request is in the handler
	active   bool // fire is watching
	watching sync.WaitGroup
	gone     bool // the last peek saw the client's close
}

func (w *clientWatch) init(c *srvConn) {
	w.c = c
	if sc, ok := c.nc.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			w.raw = rc
		}
	}
	if w.raw == nil {
		return
	}
	w.peek = func(fd uintptr) bool {
		r := h1.PeekFD(fd)
		if r == h1.PeekEmpty {
			return false // nothing yet: wait for readiness
		}
		w.gone = r != h1.PeekData
		return true
	}
	w.timer = time.AfterFunc(time.Hour, w.fire)
	w.timer.Stop()
}

// start arms the watch for a request entering the handler.
func (w *clientWatch) start() {
	if w.raw == nil {
		return
	}
	w.mu.Lock()
	w.armed = true
	w.mu.Unlock()
	w.timer.Reset(watchAfter)
}

// stop disarms the watch once the handler returned, and waits for a watch in progress
// to end: its wait is cut by a read deadline in the past, which every later read of the
// connection replaces with its own.
func (w *clientWatch) stop() {
	if w.raw == nil {
		return
	}
	w.timer.Stop()
	w.mu.Lock()
	w.armed = false
	active := w.active
	w.mu.Unlock()
	if active {
		_ = w.c.nc.SetReadDeadline(time.Unix(1, 0)) // ends the wait
		w.watching.Wait()
	}
}

// fire runs on the timer's goroutine: it watches until the client closes, sends bytes,
// or the handler returns.
func (w *clientWatch) fire() {
	w.mu.Lock()
	if !w.armed {
		w.mu.Unlock()
		return
	}
	if !w.c.body.done.Load() || w.c.br.Buffered() > 0 {
		w.mu.Unlock()
		w.timer.Reset(watchAfter) // the body's own reads watch until it ends
		return
	}
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
	if err := w.raw.Read(w.peek); err == nil && w.gone {
		w.c.cancel()
	}
}
