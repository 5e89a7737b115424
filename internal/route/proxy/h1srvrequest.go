package proxy

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/esdr/esdr/internal/route/proxy/h1"
)

// chunkedCoding is the TransferEncoding of a chunked request, as net/http gives it.
var chunkedCoding = []string{"chunked"}

// exchange answers the parsed request: it builds the *http.Request, runs the handler,
// completes the answer and settles the request body. It reports whether the connection
// can carry another request.
func (c *srvConn) exchange() bool {
	r, err := c.request()
	if err != nil {
		c.refuse(err)
		return false
	}
	c.w.reset(r.Method == http.MethodHead, c.head.Minor, c.head.KeepAlive && !c.s.closing.Load())
	ok := c.callHandler(r)
	bodyDone, broken := c.body.finish()
	if err := c.body.malformed(); ok && err != nil && !c.w.committed {
		c.refuse(fmt.Errorf("%w: %w", h1.ErrMalformed, err))
		return false
	}
	if ok && c.body.timedOut() {
		c.endStalled(r)
		return false
	}
	if !ok || broken || c.ctx.Err() != nil {
		return false // a panic or a client gone mid-body: nothing more is written
	}
	w := &c.w
	if !w.committed {
		// The handler returned without writing. Read what is left of a small body so
		// the connection can stay open; past that it closes after the answer.
		if !bodyDone {
			bodyDone = c.body.drain()
		}
		w.WriteHeader(http.StatusOK)
	}
	if !bodyDone {
		w.closeAfter = true
	}
	if err := w.end(); err != nil || w.cut {
		return false
	}
	if w.closeAfter {
		lingerClose(c.nc)
		return false
	}
	return true
}

// request makes c.r the parsed request: its strings are cut from one string copy of
// the head (field names first made canonical in place), its header map, URL and body
// reader are the connection's own, reset for each request.
func (c *srvConn) request() (*http.Request, error) {
	q := &c.head
	b, _ := c.br.Peek(q.HeadLen)
	for _, f := range q.Fields {
		canonicalInPlace(f.Name)
	}
	head := string(b)
	target := sub(head, b, q.Target)
	u := &c.url
	path, query, hasQuery := strings.Cut(target, "?")
	if plainPath(path) {
		*u = url.URL{Path: path, RawQuery: query, ForceQuery: hasQuery && query == ""}
	} else {
		var err error
		if u, err = url.ParseRequestURI(target); err != nil {
			return nil, fmt.Errorf("%w: target %q: %v", h1.ErrMalformed, target, err)
		}
	}
	if !validHost(q.Host) {
		return nil, fmt.Errorf("%w: Host %q is not a valid host", h1.ErrMalformed, q.Host)
	}
	clear(c.hdr)
	c.vals = c.vals[:0]
	for _, f := range q.Fields {
		k := sub(head, b, f.Name)
		if k == "Host" || k == "Transfer-Encoding" {
			continue // net/http keeps them out of the header too
		}
		v := sub(head, b, f.Value)
		if old, ok := c.hdr[k]; ok {
			c.hdr[k] = append(old, v)
			continue
		}
		c.vals = append(c.vals, v)
		n := len(c.vals)
		c.hdr[k] = c.vals[n-1 : n : n]
	}
	if !c.tlsKnown { // the handshake ran on the first read
		c.tlsKnown, c.base.TLS = true, c.tlsState()
	}
	c.r = c.base
	r := &c.r
	r.Method, r.URL, r.RequestURI = sub(head, b, q.Method), u, target
	r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/1.1", 1, q.Minor
	if q.Minor == 0 {
		r.Proto = "HTTP/1.0"
	}
	r.Header, r.Host, r.RemoteAddr, r.Close = c.hdr, sub(head, b, q.Host), c.remote, !q.KeepAlive
	r.ContentLength, r.Body = q.ContentLength, http.NoBody
	if q.Chunked {
		r.TransferEncoding = chunkedCoding
	}
	_, _ = c.br.Discard(q.HeadLen)
	c.body.reset(q)
	if q.Chunked || q.ContentLength > 0 {
		r.Body = &c.body
	}
	return r, nil
}

// sub is the part of head that s is of b: s is a subslice of b, and head a copy of b.
func sub(head string, b, s []byte) string {
	if len(s) == 0 {
		return ""
	}
	i := cap(b) - cap(s)
	return head[i : i+len(s)]
}

// canonicalInPlace turns a field name (a token) into its canonical form, as
// textproto.CanonicalMIMEHeaderKey would: upper case first and after each '-'.
func canonicalInPlace(name []byte) {
	upper := true
	for i, c := range name {
		switch {
		case upper && 'a' <= c && c <= 'z':
			name[i] = c - ('a' - 'A')
		case !upper && 'A' <= c && c <= 'Z':
			name[i] = c + ('a' - 'A')
		}
		upper = c == '-'
	}
}

// plainPath reports whether path needs no unescaping and reads the same escaped: then
// url.ParseRequestURI would give Path = path and no RawPath, and the proxy takes that
// without parsing. Anything else (%-escapes, '*', brackets) goes through the parser.
func plainPath(path string) bool {
	for i := 0; i < len(path); i++ {
		switch c := path[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-_.~$&+,/:;=@", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validHost is net/http's check of a Host value (httpguts.ValidHostHeader): the bytes of
// a host, a port, an IPv6 literal or a percent-escape. An empty Host is valid.
func validHost(h []byte) bool {
	for _, c := range h {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!$%&'()*+,-.:;=[]_~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// errRequestOver is what reading a request body returns once its request is answered.
var errRequestOver = errors.New("proxy: the request body was read after its request ended")
