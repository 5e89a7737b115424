package proxy

import (
	"context"
	"sync"
)

// cut lets an attempt on the proxy's own upstream client end its exchange from another
// goroutine — its epoch retired, a write's grace over — without a context per attempt:
// the connection carrying the exchange is aborted at once, or as soon as it is taken.
type cut struct {
	mu    sync.Mutex
	u     *upConn // the connection of the exchange in progress, nil between exchanges
	cause error   // why the attempt was cut; nil while it is not
	hit   bool    // the connection held now was aborted: it must not be pooled
}

// fire cuts the attempt for cause; the first cause stays.
func (c *cut) fire(cause error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cause != nil {
		return
	}
	c.cause = cause
	if c.u != nil {
		c.hit = true
		c.u.dl.abort()
	}
}

// attach makes u the connection a fire aborts; false when the attempt was cut already
// (u is then aborted too).
func (c *cut) attach(u *upConn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.u, c.hit = u, false
	if c.cause != nil {
		c.hit = true
		u.dl.abort()
		return false
	}
	return true
}

// detach lets go of the connection before it goes back to the pool, where a later fire
// must not reach it; false when a fire aborted it.
func (c *cut) detach() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	hit := c.hit
	c.u, c.hit = nil, false
	return !hit
}

// err is why the attempt was cut, or nil.
func (c *cut) err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cause
}

// connCtx is a client connection's context under the proxy's own server, every request
// on it carries it. When it ends (the client went, the server closed the connection) it
// also aborts the node connection of the request in flight, which the own upstream
// client attaches to its cut: no context.AfterFunc per request (two allocations).
type connCtx struct {
	context.Context
	end context.CancelFunc
	cut cut
}

func newConnCtx() *connCtx {
	c := &connCtx{}
	c.Context, c.end = context.WithCancel(context.Background())
	return c
}

// cancel ends the context, then aborts the node connection attached, if any.
func (c *connCtx) cancel() {
	c.end()
	c.cut.fire(context.Canceled)
}
