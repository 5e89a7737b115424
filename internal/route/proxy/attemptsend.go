package proxy

import (
	"context"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
)

// The two ways an attempt sends its request: the proxy's own client, written straight
// from the client's request, or an *http.Request for net/http's Transport and for
// signing.

// sendOwn sends r through the proxy's own client: the fields are written from r's
// header directly, and the attempt needs no context of its own.
func (res *result) sendOwn(ctx context.Context, t *h1Transport, r *http.Request, body *replay) (*http.Response, error) {
	res.hooks.cut, res.hooks.store = &res.cut, res.head[:]
	if !res.pl.inflight.watch(res) {
		res.retired()
	}
	sc := scratches.Get().(*scratch)
	defer scratches.Put(sc) // the fields are written by the time send returns
	n := res.node
	o := outbound{method: r.Method, target: targetOf(n.url, r), host: n.url.Host, scheme: n.url.Scheme, addr: n.addr,
		fields: sc.upstream(r, res.pl.auth, res.k)}
	if body != nil {
		if !body.canReplay() {
			return nil, errBodyGone
		}
		ab := body.reader()
		res.bodiesMu.Lock()
		res.bodies = append(res.bodies, ab)
		res.bodiesMu.Unlock()
		o.body, o.length = ab, r.ContentLength
	}
	return t.send(ctx, &o, res.k != kindWrite, &res.hooks)
}

// sendHTTP sends r as an *http.Request, under a context of the attempt's own: through
// net/http's Transport, or signed.
func (res *result) sendHTTP(ctx context.Context, r *http.Request, body *replay, payload []byte) (*http.Response, error) {
	pl, n, k := res.pl, res.node, res.k
	ctx, res.cancel = context.WithCancelCause(ctx)
	res.actx = ctx
	res.trace.GotConn = res.st.gotConn
	res.trace.WroteHeaders = res.st.wroteHeaders
	ctx = httptrace.WithClientTrace(ctx, &res.trace)
	out := http.Request{
		Method: r.Method, URL: targetURL(n.url, r.URL), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: upstreamHeader(r, pl.auth), ContentLength: r.ContentLength, Host: n.url.Host,
	}
	if k == kindWrite {
		// net/http's Transport resends a request carrying one of these (with a body it can
		// rewind, or none) when a reused connection drops before the answer — after the
		// node may have applied it. Elasticsearch ignores them; esdr alone decides whether
		// a write is sent again, and it never sends one that may have been applied.
		delete(out.Header, "Idempotency-Key")
		delete(out.Header, "X-Idempotency-Key")
	}
	if pl.sign != nil {
		setPayload(&out, payload)
	} else if body != nil {
		newBody := func() (io.ReadCloser, error) {
			if !body.canReplay() {
				return nil, errBodyGone
			}
			ab := body.reader()
			res.bodiesMu.Lock()
			res.bodies = append(res.bodies, ab)
			res.bodiesMu.Unlock()
			return ab, nil
		}
		out.Body, _ = newBody()
		out.GetBody = newBody // lets the transport resend on a fresh connection when nothing was written
	}
	req := out.WithContext(ctx)
	if !pl.inflight.watch(res) {
		res.retired()
	}
	if pl.sign != nil {
		if err := pl.sign.sign(ctx, req, payload); err != nil {
			return nil, err
		}
	}
	if t, ok := pl.tr.(*h1Transport); ok {
		return t.roundTrip(req, k != kindWrite)
	}
	return pl.tr.RoundTrip(req)
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
