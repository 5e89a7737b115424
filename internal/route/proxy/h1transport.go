package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
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
	maxIdle       int

	mu   sync.Mutex
	idle map[string][]*upConn // by host:port, the most recently used last
}

func newH1Transport(cfg Config, dial func(ctx context.Context, network, addr string) (net.Conn, error), tc *tls.Config) *h1Transport {
	return &h1Transport{dial: dial, tls: tc, dialTimeout: cfg.DialTimeout, headerTimeout: cfg.UpstreamTimeout,
		maxIdle: cfg.MaxIdlePerNode, idle: map[string][]*upConn{}}
}

// RoundTrip sends req and returns the answer with its body still to read; closing the
// body returns the connection to the pool when the answer was read whole.
func (t *h1Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	addr := hostPortOf(req.URL)
	u, reused, err := t.conn(ctx, req.URL.Scheme, addr)
	if err != nil {
		closeRequestBody(req)
		return nil, err
	}
	c := u.c
	trace := httptrace.ContextClientTrace(ctx)
	if trace != nil && trace.GotConn != nil {
		trace.GotConn(httptrace.GotConnInfo{Conn: c.NetConn(), Reused: reused})
	}
	u.dl.reset()
	u.body = h1Body{t: t, u: u, stop: context.AfterFunc(ctx, u.abort)}
	length := req.ContentLength
	if req.Body == nil || req.Body == http.NoBody {
		length = 0
	}
	err = c.WriteRequest(req.Method, req.URL.RequestURI(), req.Host, fieldsOf(req.Header), req.Body, length)
	closeRequestBody(req)
	if trace != nil && trace.WroteHeaders != nil && c.Delivered() {
		trace.WroteHeaders()
	}
	var be *h1.BodyError
	switch {
	case errors.As(err, &be):
		return u.fail(ctx, be) // the client's body failed: no answer to wait for
	case err != nil && !c.Delivered():
		return u.fail(ctx, fmt.Errorf("h1: write to %s: %w", addr, err))
	}
	// A node may answer before it has the whole body and stop reading or close
	// (Elasticsearch's 413 past http.max_content_length): a failed write is then
	// followed by its answer, which the client gets instead of a 502.
	werr := err
	u.dl.set(t.headerTimeout)
	r, body, err := c.ReadResponse(req.Method)
	u.dl.set(0)
	if err != nil {
		if werr != nil {
			return u.fail(ctx, fmt.Errorf("h1: write to %s: %w", addr, werr))
		}
		return u.fail(ctx, fmt.Errorf("h1: read from %s: %w", addr, err))
	}
	if r.Status == http.StatusSwitchingProtocols {
		return u.fail(ctx, errors.New("h1: the node switched protocols, which the proxy never asks"))
	}
	u.body.r = body
	u.hdr, u.vals = headerInto(u.hdr, u.vals, r.Fields)
	u.resp = http.Response{Status: statusLine(r.Status, r.Reason), StatusCode: r.Status,
		Proto: protoOf(r.Minor), ProtoMajor: 1, ProtoMinor: r.Minor, Header: u.hdr,
		ContentLength: r.ContentLength, Close: !r.KeepAlive, Request: req, Body: &u.body}
	if r.Body == h1.BodyChunked {
		u.resp.TransferEncoding = chunkedCoding
	}
	return &u.resp, nil
}

// upConn is a pooled connection with what each exchange on it reuses: the answer handed
// to the attempt and its body are valid until the body is closed, which is also when
// the connection goes back to the pool.
type upConn struct {
	c     *h1.Conn
	addr  string
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
	u.abort = u.dl.abort
	return u
}

// fail ends an exchange that got no usable answer: the connection is closed.
func (u *upConn) fail(ctx context.Context, err error) (*http.Response, error) {
	u.body.stop()
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

// conn takes the most recently used idle connection to addr that is still open, or dials.
func (t *h1Transport) conn(ctx context.Context, scheme, addr string) (*upConn, bool, error) {
	for {
		t.mu.Lock()
		list := t.idle[addr]
		if len(list) == 0 {
			t.mu.Unlock()
			break
		}
		c := list[len(list)-1]
		t.idle[addr] = list[:len(list)-1]
		t.mu.Unlock()
		if c.c.Alive() {
			return c, true, nil
		}
		c.c.Close()
	}
	dctx, cancel := context.WithTimeout(ctx, t.dialTimeout)
	defer cancel()
	nc, err := t.dial(dctx, "tcp", addr)
	if err != nil {
		return nil, false, err
	}
	if scheme == "https" {
		cfg := t.tls.Clone()
		if cfg == nil {
			cfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		if cfg.ServerName == "" {
			cfg.ServerName, _, _ = net.SplitHostPort(addr)
		}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(dctx); err != nil {
			nc.Close()
			return nil, false, err
		}
		nc = tc
	}
	return newUpConn(h1.NewConn(nc), addr), false, nil
}

// put keeps u for the next request to its node, up to maxIdle per node.
func (t *h1Transport) put(u *upConn) {
	t.mu.Lock()
	if len(t.idle[u.addr]) < t.maxIdle {
		t.idle[u.addr] = append(t.idle[u.addr], u)
		u = nil
	}
	t.mu.Unlock()
	if u != nil {
		u.c.Close()
	}
}

// CloseIdleConnections closes every pooled connection.
func (t *h1Transport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = map[string][]*upConn{}
	t.mu.Unlock()
	for _, list := range idle {
		for _, u := range list {
			u.c.Close()
		}
	}
}

// h1Body is an answer's body; Close hands the connection back or closes it.
type h1Body struct {
	t      *h1Transport
	u      *upConn
	r      io.Reader
	stop   func() bool
	closed bool // Close is called once, by the attempt's goroutine
}

func (b *h1Body) Read(p []byte) (int, error) { return b.r.Read(p) }

func (b *h1Body) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	if b.stop() && b.u.c.Reusable() {
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
	var t time.Time
	if timeout > 0 {
		t = time.Now().Add(timeout)
	}
	_ = d.nc.SetReadDeadline(t)
}
