package proxy

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/esdr/esdr/internal/route/proxy/h1"
)

// upConn is a pooled connection with what each exchange on it reuses: the answer handed
// to the attempt and its body are valid until the body is closed, which is also when
// the connection goes back to the pool.
type upConn struct {
	c     *h1.Conn
	addr  string
	used  time.Time // when it was last put back in the pool
	fresh bool      // dialled for this exchange, not reused
	dl    deadlines
	abort func() // dl.abort, made once
	resp  http.Response
	body  h1Body
	hdr   http.Header // resp.Header, refilled for each answer
	vals  []string
}

func newUpConn(c *h1.Conn, addr string) *upConn {
	u := &upConn{c: c, addr: addr}
	u.dl.nc = c.NetConn()
	u.dl.bounds = boundsOf(u.dl.nc)
	u.abort = u.dl.abort
	return u
}

// fail ends an exchange that got no usable answer: the connection is closed.
func (u *upConn) fail(ctx context.Context, err error) (*http.Response, error) {
	u.body.release()
	u.c.Close()
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	return nil, err
}

// statusLine is net/http's Status for code and reason, without an allocation for the
// usual reasons.
func statusLine(code int, reason []byte) string {
	if s, ok := statusLines[code]; ok && string(reason) == http.StatusText(code) {
		return s
	}
	return strconv.Itoa(code) + " " + string(reason)
}

func protoOf(minor int) string {
	if minor == 0 {
		return "HTTP/1.0"
	}
	return "HTTP/1.1"
}

var statusLines = func() map[int]string {
	m := map[int]string{}
	for code := 100; code < 600; code++ {
		if text := http.StatusText(code); text != "" {
			m[code] = strconv.Itoa(code) + " " + text
		}
	}
	return m
}()

// h1Body is an answer's body; Close hands the connection back or closes it.
type h1Body struct {
	t      *h1Transport
	u      *upConn
	r      io.Reader
	stop   func() bool // unhooks the abort from the request's context; nil when cuts[0] is that
	cuts   [2]*cut     // the client connection's and the attempt's, where there are
	closed bool        // Close is called once, by the attempt's goroutine
}

// release unhooks every abort of the exchange; false when one ran: the connection's
// deadlines are then in the past and it must not be pooled.
func (b *h1Body) release() bool {
	intact := b.stop == nil || b.stop()
	for _, c := range b.cuts {
		if c != nil && !c.detach() {
			intact = false
		}
	}
	return intact
}

func (b *h1Body) Read(p []byte) (int, error) { return b.r.Read(p) }

func (b *h1Body) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	if b.release() && b.u.c.Reusable() {
		b.t.put(b.u)
		return nil
	}
	return b.u.c.Close()
}

// deadlines sets a connection's deadlines without undoing an abort: once the attempt's
// context ends, the deadline stays in the past until the next exchange's reset.
type deadlines struct {
	mu      sync.Mutex
	nc      net.Conn
	bounds  bounder
	aborted bool
}

func (d *deadlines) reset() {
	d.mu.Lock()
	d.aborted = false
	d.mu.Unlock()
}

func (d *deadlines) abort() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.aborted = true
	_ = d.nc.SetDeadline(time.Unix(1, 0))
}

// set bounds the next reads by timeout from now (0: no bound).
func (d *deadlines) set(timeout time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.aborted {
		return
	}
	d.bounds.ReadWithin(timeout)
}
