package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"time"

	"github.com/esdr/esdr/internal/route/proxy/h1"
)

// upstreamClient is what an attempt sends through: net/http's Transport, or h1Transport.
type upstreamClient interface {
	RoundTrip(*http.Request) (*http.Response, error)
	CloseIdleConnections()
}

// h1Transport is the proxy's own upstream client (proxy.upstream_client: h1): each
// request is written and its answer read on the attempt's goroutine, over a connection
// taken from a last-in-first-out pool per node, with no hand-off to other goroutines.
// It never sends a request twice: a failure is the attempt's to judge.
type h1Transport struct {
	dial          func(ctx context.Context, network, addr string) (net.Conn, error)
	tls           *tls.Config
	dialTimeout   time.Duration
	headerTimeout time.Duration
	idleTimeout   time.Duration
	maxIdle       int

	mu   sync.Mutex
	idle map[string][]*upConn // by host:port, the most recently used last
}

func newH1Transport(cfg Config, dial func(ctx context.Context, network, addr string) (net.Conn, error), tc *tls.Config) *h1Transport {
	return &h1Transport{dial: dial, tls: tc, dialTimeout: cfg.DialTimeout, headerTimeout: cfg.UpstreamTimeout,
		idleTimeout: upstreamIdleTimeout,
		maxIdle:     cfg.MaxIdlePerNode, idle: map[string][]*upConn{}}
}

// trustFor is how long after its last exchange a pooled connection is taken without
// the liveness check by a request that may be sent twice: a node rarely closes a
// connection it served a moment ago, and the check is one of the few syscalls a
// request costs.
const trustFor = time.Second

// exchangeHooks connect the exchanges of one request to the attempt they serve.
type exchangeHooks struct {
	trace     *httptrace.ClientTrace // from RoundTrip's context, or nil
	cut       *cut                   // the attempt's, or nil
	delivered bool                   // a byte of the request reached the connection
	// store holds the answer's names and values when they fit (headerInto): an
	// attempt's own array, so that they need no allocation of their own; nil: none.
	store []byte
}

// RoundTrip sends req and returns the answer with its body still to read; closing the
// body returns the connection to the pool when the answer was read whole.
func (t *h1Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.roundTrip(req, false)
}

// roundTrip is RoundTrip for a request the caller may send twice (see send).
func (t *h1Transport) roundTrip(req *http.Request, repeatable bool) (*http.Response, error) {
	o := outbound{method: req.Method, target: req.URL.RequestURI(), host: req.Host, scheme: req.URL.Scheme,
		addr: hostPortOf(req.URL), fields: fieldsOf(req.Header), body: req.Body, length: req.ContentLength}
	if req.Body == nil || req.Body == http.NoBody {
		o.body, o.length = nil, 0
	}
	h := exchangeHooks{trace: httptrace.ContextClientTrace(req.Context())}
	resp, err := t.send(req.Context(), &o, repeatable, &h)
	closeRequestBody(req)
	if resp != nil {
		resp.Request = req
	}
	return resp, err
}

// send writes o and reads the answer's head. repeatable says o may be sent twice (a
// read): without a body, it then takes a recently used pooled connection unchecked and,
// when the node had closed it (the exchange fails before any answer), goes once more on
// a fresh connection — what net/http's Transport does for idempotent requests. A write
// is never sent twice: it only takes connections that passed the check.
func (t *h1Transport) send(ctx context.Context, o *outbound, repeatable bool, h *exchangeHooks) (*http.Response, error) {
	u, unchecked := t.pooled(o.addr, repeatable && o.body == nil)
	if u == nil {
		var err error
		if u, err = t.open(ctx, o.scheme, o.addr); err != nil {
			return nil, err
		}
	}
	resp, err := t.exchange(ctx, o, u, h)
	if err == nil || !unchecked || ctx.Err() != nil || isTimeout(err) {
		return resp, err
	}
	if u, err = t.open(ctx, o.scheme, o.addr); err != nil {
		return nil, err
	}
	return t.exchange(ctx, o, u, h)
}

// exchange writes o on u and reads the answer's head.
func (t *h1Transport) exchange(ctx context.Context, o *outbound, u *upConn, h *exchangeHooks) (*http.Response, error) {
	c := u.c
	if h.trace != nil && h.trace.GotConn != nil {
		h.trace.GotConn(httptrace.GotConnInfo{Conn: c.NetConn(), Reused: !u.fresh})
	}
	u.fresh = false
	u.dl.reset()
	u.body = h1Body{t: t, u: u}
	if cc, ok := ctx.(*connCtx); ok {
		u.body.cuts[0] = &cc.cut // the own server's connection: no AfterFunc needed
	} else {
		u.body.stop = context.AfterFunc(ctx, u.abort)
	}
	u.body.cuts[1] = h.cut
	for _, c := range u.body.cuts {
		if c != nil {
			c.attach(u) // a cut attempt's connection is aborted: the exchange fails at once
		}
	}
	err := c.WriteRequest(o.method, o.target, o.host, o.fields, o.body, o.length)
	if c.Delivered() {
		h.delivered = true
		if h.trace != nil && h.trace.WroteHeaders != nil {
			h.trace.WroteHeaders()
		}
	}
	switch {
	case err == nil:
	case isBodyError(err):
		return u.fail(ctx, err) // the client's body failed: no answer to wait for
	case !c.Delivered():
		return u.fail(ctx, fmt.Errorf("h1: write to %s: %w", o.addr, err))
	}
	// A node may answer before it has the whole body and stop reading or close
	// (Elasticsearch's 413 past http.max_content_length): a failed write is then
	// followed by its answer, which the client gets instead of a 502.
	werr := err
	u.dl.set(t.headerTimeout)
	r, body, err := c.ReadResponse(o.method)
	u.dl.set(0)
	if err != nil {
		if werr != nil {
			return u.fail(ctx, fmt.Errorf("h1: write to %s: %w", o.addr, werr))
		}
		return u.fail(ctx, fmt.Errorf("h1: read from %s: %w", o.addr, err))
	}
	if r.Status == http.StatusSwitchingProtocols {
		return u.fail(ctx, errors.New("h1: the node switched protocols, which the proxy never asks"))
	}
	u.body.r = body
	u.hdr, u.vals = headerInto(u.hdr, u.vals, r.Fields, h.store)
	u.resp = http.Response{Status: statusLine(r.Status, r.Reason), StatusCode: r.Status,
		Proto: protoOf(r.Minor), ProtoMajor: 1, ProtoMinor: r.Minor, Header: u.hdr,
		ContentLength: r.ContentLength, Close: !r.KeepAlive, Body: &u.body}
	if r.Body == h1.BodyChunked {
		u.resp.TransferEncoding = chunkedCoding
	}
	return &u.resp, nil
}

// isBodyError reports whether err is the client's body failing (*h1.BodyError).
func isBodyError(err error) bool {
	var be *h1.BodyError
	return errors.As(err, &be)
}
