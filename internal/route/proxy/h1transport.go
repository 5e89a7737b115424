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
