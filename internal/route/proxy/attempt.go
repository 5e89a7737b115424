package proxy

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// chunkSize is the copy buffer for response bodies, and how much of a response is read
// before the client sees anything: until then, a failed read can still be retried.
const chunkSize = 32 << 10

var chunks = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// errRetired cancels a read in flight when its epoch ends, so it moves to the new cluster.
var errRetired = errors.New("proxy: epoch changed during the attempt")

// result is one attempt at one node. On success resp is set and first holds the start
// of its body (eof when that was all of it); done must then be called once.
type result struct {
	resp      *http.Response
	first     []byte
	eof       bool
	err       error
	delivered bool // the request headers were written: the node may have acted on it
	node      *node
	done      func()
}

// writeGrace is how long a write in flight when its epoch ends may still be answered by
// the old cluster (a healthy one, in a switchover, answers in milliseconds) before it is
// cut and answered outcome-unknown (a hung one would hold it until upstream_timeout).
const writeGrace = time.Second

// attempt sends r to one node of pl. Reads and scrolls are aborted when pl is retired
// before their response starts, to be retried on the new cluster; writes when it is
// retired before the node answered.
func (p *Proxy) attempt(ctx context.Context, pl *pool, n *node, r *http.Request, body *replay, k kind) *result {
	ctx, cancel := context.WithCancelCause(ctx)
	var st sendTracker
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn:      func(ci httptrace.GotConnInfo) { st.gotConn(ci.Conn) },
		WroteHeaders: func() { st.headers.Store(true) },
	})
	out := &http.Request{
		Method: r.Method, URL: targetURL(n.url, r.URL), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: upstreamHeader(r, pl.auth), ContentLength: r.ContentLength, Host: n.url.Host,
	}
	var bodies []*attemptBody
	var bodiesMu sync.Mutex
	if body != nil {
		newBody := func() (io.ReadCloser, error) {
			if !body.canReplay() {
				return nil, errBodyGone
			}
			ab := body.reader()
			bodiesMu.Lock()
			bodies = append(bodies, ab)
			bodiesMu.Unlock()
			return ab, nil
		}
		out.Body, _ = newBody()
		out.GetBody = newBody // lets the transport resend on a fresh connection when nothing was written
	}
	out = out.WithContext(ctx)

	// When the epoch ends before the node answered, the attempt is cut: a read to be
	// retried on the new cluster, a write to be answered at once as outcome-unknown (a
	// hung old cluster must not hold it until upstream_timeout) after writeGrace. A write
	// whose response has started is left to finish.
	var answered atomic.Bool
	var grace atomic.Pointer[time.Timer]
	stopWatch := context.AfterFunc(pl.retiredCtx, func() {
		if k != kindWrite {
			cancel(errRetired)
			return
		}
		grace.Store(time.AfterFunc(writeGrace, func() {
			if !answered.Load() {
				cancel(errRetired)
			}
		}))
	})
	buf := chunks.Get().(*[]byte)
	res := &result{node: n}
	res.done = sync.OnceFunc(func() {
		stopWatch()
		if t := grace.Load(); t != nil {
			t.Stop()
		}
		if res.resp != nil {
			res.resp.Body.Close()
		}
		bodiesMu.Lock()
		for _, ab := range bodies {
			ab.detach()
		}
		bodiesMu.Unlock()
		cancel(nil)
		pl.release()
		chunks.Put(buf)
	})

	start := time.Now()
	resp, err := pl.tr.RoundTrip(out)
	answered.Store(err == nil)
	if err == nil {
		p.m.upstreamDone(pl.cluster, time.Since(start))
		res.resp = resp
		var m int
		m, err = readSome(resp.Body, *buf)
		res.first, res.eof = (*buf)[:m], errors.Is(err, io.EOF)
		if res.eof {
			err = nil
		}
	}
	if err != nil {
		if cause := context.Cause(ctx); errors.Is(cause, errRetired) {
			err = errRetired
		}
		res.err, res.delivered = err, st.sent()
		res.done()
		return res
	}
	// The response is committed to this cluster from here on, unless the epoch ended
	// just now and the rest of the body would be cut: then it is still a clean retry.
	if !stopWatch() && k != kindWrite && !res.eof {
		res.err, res.delivered = errRetired, true
		res.done()
		return res
	}
	return res
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

// targetURL is the node's URL with the client's path (kept escaped as sent) and query.
func targetURL(base, in *url.URL) *url.URL {
	u := *base
	u.User = nil
	u.RawQuery = in.RawQuery
	u.Fragment, u.RawFragment = "", ""
	if base.Path == "" || base.Path == "/" {
		u.Path, u.RawPath = in.Path, in.RawPath
		return &u
	}
	u.Path = trimSlash(base.Path) + in.Path
	if in.RawPath != "" {
		u.RawPath = trimSlash(base.EscapedPath()) + in.RawPath
	}
	return &u
}

func trimSlash(s string) string {
	if len(s) > 0 && s[len(s)-1] == '/' {
		return s[:len(s)-1]
	}
	return s
}

// isTimeout reports whether err is the node being too slow rather than refusing.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}
