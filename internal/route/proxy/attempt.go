package proxy

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"time"
)

// errRetired cancels a read in flight when its epoch ends, so it moves to the new cluster.
var errRetired = errors.New("proxy: epoch changed during the attempt")

// result is one attempt at one node. On success resp is set and first holds the start
// of its body (eof when that was all of it); done must then be called once. The
// attempt's own bookkeeping lives in the same struct: one allocation per attempt
// instead of one per piece.
type result struct {
	resp      *http.Response
	first     []byte
	eof       bool
	err       error
	delivered bool // the request headers were written: the node may have acted on it
	node      *node

	pl *pool
	k  kind
	// An attempt through net/http's Transport, or one that signs, runs under its own
	// context (actx, cancel); one through the proxy's own client is cut through cut.
	actx       context.Context
	cancel     context.CancelCauseFunc
	cut        cut
	hooks      exchangeHooks
	prev, next *result // pl.inflight's list
	watched    bool
	buf        *chunk // first's backing array, taken once the node answered
	st         sendTracker
	trace      httptrace.ClientTrace
	answered   atomic.Bool // the node's response headers arrived
	grace      atomic.Pointer[time.Timer]
	once       sync.Once

	// The transport may still read a body after RoundTrip returned: each reader it was
	// given is detached when the attempt ends.
	bodiesMu sync.Mutex
	bodies   []*attemptBody
	inline   [2]*attemptBody // bodies' storage for the usual one or two readers

	// head holds the names and values of the node's answer when they fit (an
	// Elasticsearch answer's take ~60 bytes; the size keeps the struct in the 768-byte
	// size class): written once, by the proxy's own client, never reused.
	head [304]byte
}

// writeGrace is how long a write in flight when its epoch ends may still be answered by
// the old cluster (a healthy one, in a switchover, answers in milliseconds) before it is
// cut and answered outcome-unknown (a hung one would hold it until upstream_timeout).
const writeGrace = time.Second

// attempt sends r to one node of pl. Reads and scrolls are aborted when pl is retired
// before their response starts, to be retried on the new cluster; writes when it is
// retired before the node answered.
// A cluster that signs gets payload, the whole body, signed for n (sign.go).
func (p *Proxy) attempt(ctx context.Context, pl *pool, n *node, r *http.Request, body *replay, payload []byte, k kind) *result {
	res := &result{node: n, pl: pl, k: k}
	res.bodies = res.inline[:0]
	start := time.Now()
	var resp *http.Response
	var err error
	if t, ok := pl.tr.(*h1Transport); ok && pl.sign == nil {
		resp, err = res.sendOwn(ctx, t, r, body)
	} else {
		resp, err = res.sendHTTP(ctx, r, body, payload)
	}
	res.answered.Store(err == nil)
	if err == nil {
		p.m.upstreamDone(pl.cluster, time.Since(start))
		res.resp = resp
		res.buf = getChunk(resp.ContentLength)
		var m int
		m, err = readSome(resp.Body, res.buf.b)
		res.first, res.eof = res.buf.b[:m], errors.Is(err, io.EOF)
		if res.eof {
			err = nil
		}
	}
	if err != nil {
		if errors.Is(res.cause(), errRetired) {
			err = errRetired
		}
		res.err, res.delivered = err, res.sent()
		res.done()
		return res
	}
	// The response is committed to this cluster from here on, unless the epoch ended
	// just now and the rest of the body would be cut: then it is still a clean retry.
	if !pl.inflight.unwatch(res) && k != kindWrite && !res.eof {
		res.err, res.delivered = errRetired, true
		res.done()
		return res
	}
	return res
}

// cause is why the attempt was cut short (errRetired), or nil.
func (res *result) cause() error {
	if res.actx != nil {
		return context.Cause(res.actx)
	}
	return res.cut.err()
}

// sent reports whether any byte of the request may have reached the node.
func (res *result) sent() bool {
	if res.actx != nil {
		return res.st.sent()
	}
	return res.hooks.delivered
}

// stop cuts the attempt short for cause.
func (res *result) stop(cause error) {
	if res.cancel != nil {
		res.cancel(cause)
		return
	}
	res.cut.fire(cause)
}

// retired runs when the attempt's epoch ends before the node answered. The attempt is
// cut: a read to be retried on the new cluster, a write to be answered at once as
// outcome-unknown (a hung old cluster must not hold it until upstream_timeout) after
// writeGrace. A write whose response has started is left to finish.
func (res *result) retired() {
	if res.k != kindWrite {
		res.stop(errRetired)
		return
	}
	res.grace.Store(time.AfterFunc(writeGrace, func() {
		if !res.answered.Load() {
			res.stop(errRetired)
		}
	}))
}

// done ends the attempt: it releases the response, the body readers, the context, the
// connection and the buffer. It may be called more than once.
func (res *result) done() { res.once.Do(res.finish) }

func (res *result) finish() {
	res.pl.inflight.unwatch(res)
	if t := res.grace.Load(); t != nil {
		t.Stop()
	}
	if res.resp != nil {
		res.resp.Body.Close()
	}
	res.bodiesMu.Lock()
	for _, ab := range res.bodies {
		ab.detach()
	}
	res.bodiesMu.Unlock()
	if res.cancel != nil {
		res.cancel(nil)
	}
	res.pl.release()
	putChunk(res.buf)
}

// readSome reads until it gets at least one byte or an error.
func readSome(r io.Reader, buf []byte) (int, error) {
	for range 100 {
		n, err := r.Read(buf)
		if n > 0 || err != nil {
			return n, err
		}
	}
	return 0, io.ErrNoProgress
}

// isTimeout reports whether err is the node being too slow rather than refusing.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}
