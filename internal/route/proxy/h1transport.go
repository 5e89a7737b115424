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
	idle map[string][]*h1.Conn // by host:port, the most recently used last
}

func newH1Transport(cfg Config, dial func(ctx context.Context, network, addr string) (net.Conn, error), tc *tls.Config) *h1Transport {
	return &h1Transport{dial: dial, tls: tc, dialTimeout: cfg.DialTimeout, headerTimeout: cfg.UpstreamTimeout,
		maxIdle: cfg.MaxIdlePerNode, idle: map[string][]*h1.Conn{}}
}

// RoundTrip sends req and returns the answer with its body still to read; closing the
// body returns the connection to the pool when the answer was read whole.
func (t *h1Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	addr := hostPortOf(req.URL)
	c, reused, err := t.conn(ctx, req.URL.Scheme, addr)
	if err != nil {
		closeRequestBody(req)
		return nil, err
	}
	trace := httptrace.ContextClientTrace(ctx)
	if trace != nil && trace.GotConn != nil {
		trace.GotConn(httptrace.GotConnInfo{Conn: c.NetConn(), Reused: reused})
	}
	dl := &deadlines{nc: c.NetConn()}
	stop := context.AfterFunc(ctx, dl.abort)
	fail := func(err error) (*http.Response, error) {
		stop()
		c.Close()
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		return nil, err
	}
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
		return fail(be) // the client's body failed: no answer to wait for
	case err != nil && !c.Delivered():
		return fail(fmt.Errorf("h1: write to %s: %w", addr, err))
	}
	// A node may answer before it has the whole body and stop reading or close
	// (Elasticsearch's 413 past http.max_content_length): a failed write is then
	// followed by its answer, which the client gets instead of a 502.
	werr := err
	dl.set(t.headerTimeout)
	r, body, err := c.ReadResponse(req.Method)
	dl.set(0)
	if err != nil {
		if werr != nil {
			return fail(fmt.Errorf("h1: write to %s: %w", addr, werr))
		}
		return fail(fmt.Errorf("h1: read from %s: %w", addr, err))
	}
	if r.Status == http.StatusSwitchingProtocols {
		return fail(errors.New("h1: the node switched protocols, which the proxy never asks"))
	}
	resp := &http.Response{Status: strconv.Itoa(r.Status) + " " + string(r.Reason), StatusCode: r.Status,
		Proto: "HTTP/1." + strconv.Itoa(r.Minor), ProtoMajor: 1, ProtoMinor: r.Minor, Header: headerOf(r.Fields),
		ContentLength: r.ContentLength, Close: !r.KeepAlive, Request: req,
		Body: &h1Body{t: t, c: c, addr: addr, r: body, stop: stop}}
	if r.Body == h1.BodyChunked {
		resp.TransferEncoding = []string{"chunked"}
	}
	return resp, nil
}

// conn takes the most recently used idle connection to addr that is still open, or dials.
func (t *h1Transport) conn(ctx context.Context, scheme, addr string) (*h1.Conn, bool, error) {
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
		// A TLS connection is taken as it is: peeking under TLS is not reliable. A stale
		// one fails the attempt before an answer, as net/http's does.
		if scheme == "https" || c.Alive() {
			return c, true, nil
		}
		c.Close()
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
	return h1.NewConn(nc), false, nil
}

// put keeps c for the next request to addr, up to maxIdle per node.
func (t *h1Transport) put(addr string, c *h1.Conn) {
	t.mu.Lock()
	if len(t.idle[addr]) < t.maxIdle {
		t.idle[addr] = append(t.idle[addr], c)
		c = nil
	}
	t.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// CloseIdleConnections closes every pooled connection.
func (t *h1Transport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = map[string][]*h1.Conn{}
	t.mu.Unlock()
	for _, list := range idle {
		for _, c := range list {
			c.Close()
		}
	}
}

// h1Body is an answer's body; Close hands the connection back or closes it.
type h1Body struct {
	t    *h1Transport
	c    *h1.Conn
	addr string
	r    io.Reader
	stop func() bool
	once sync.Once
}

func (b *h1Body) Read(p []byte) (int, error) { return b.r.Read(p) }

func (b *h1Body) Close() error {
	b.once.Do(func() {
		if b.stop() && b.c.Reusable() {
			b.t.put(b.addr, b.c)
			return
		}
		b.c.Close()
	})
	return nil
}

// deadlines sets a connection's deadlines without undoing an abort: once the attempt's
// context ends, the deadline stays in the past.
type deadlines struct {
	mu      sync.Mutex
	nc      net.Conn
	aborted bool
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
