package proxy

import (
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"sync"

	"github.com/esdr/esdr/internal/route/proxy/h1"
)

// outbound is a request as the proxy's own upstream client writes it.
type outbound struct {
	method, target, host string
	scheme, addr         string // the node's: "http" or "https", and host:port
	fields               []h1.Field
	body                 io.Reader // nil: none
	length               int64     // -1: sent chunked until body's EOF
}

// scratch holds an outbound request's fields and the bytes they point into. It is
// pooled: the fields are needed only until the head is written.
type scratch struct {
	fields []h1.Field
	buf    []byte
}

var scratches = sync.Pool{New: func() any { return new(scratch) }}

// upstream fills s with the fields sent to a node for r, by upstreamHeader's rules
// without its header map: hop-by-hop fields, those Connection names and Expect left
// out, X-Forwarded-For extended, Via added, the cluster's Authorization in place of the
// client's, and, for a write, no idempotency key (attempt says why).
func (s *scratch) upstream(r *http.Request, auth string, k kind) []h1.Field {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = ""
	}
	n, size := 3, len(ip)+len("X-Forwarded-ForViaAuthorization1.1 esdr")+len(auth)
	for key, vs := range r.Header {
		for _, v := range vs {
			n, size = n+1, size+len(key)+len(v)+2
		}
	}
	if cap(s.buf) < size {
		s.buf = make([]byte, 0, size)
	}
	s.fields, s.buf = s.fields[:0], s.buf[:0]
	conn := r.Header["Connection"]
	for key, vs := range r.Header {
		switch {
		case dropped(key, conn, k):
		case key == "X-Forwarded-For" && ip != "":
		case key == "Authorization" && auth != "":
		default:
			for _, v := range vs {
				s.add(key, v)
			}
		}
	}
	if ip != "" {
		at := len(s.buf)
		for _, v := range r.Header["X-Forwarded-For"] {
			s.buf = append(append(s.buf, v...), ", "...)
		}
		s.buf = append(s.buf, ip...)
		end := len(s.buf)
		s.buf = append(s.buf, "X-Forwarded-For"...)
		s.fields = append(s.fields, h1.Field{Name: s.buf[end:len(s.buf):len(s.buf)], Value: s.buf[at:end:end]})
	}
	s.add("Via", "1.1 esdr")
	if auth != "" {
		s.add("Authorization", auth)
	}
	return s.fields
}

// add appends the field key: v, both copied into s.buf.
func (s *scratch) add(key, v string) {
	at := len(s.buf)
	s.buf = append(append(s.buf, key...), v...)
	s.fields = append(s.fields, h1.Field{Name: s.buf[at : at+len(key) : at+len(key)],
		Value: s.buf[at+len(key) : len(s.buf) : len(s.buf)]})
}

// dropped reports whether the field key is never sent to a node: a hop-by-hop field,
// one that Connection names, Expect (the proxy's server answered it), the framing the
// client writes itself, or, for a write, an idempotency key.
func dropped(key string, conn []string, k kind) bool {
	switch key {
	case "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
		"Te", "Trailer", "Transfer-Encoding", "Upgrade", "Expect", "Host", "Content-Length":
		return true
	case "Idempotency-Key", "X-Idempotency-Key":
		return k == kindWrite
	}
	for _, v := range conn {
		for name := range strings.SplitSeq(v, ",") {
			if asciiFold(textproto.TrimString(name), key) {
				return true
			}
		}
	}
	return false
}

// targetOf is the target a node is asked for: the client's own when the node's URL has
// no path, the client's path reads the same escaped and its query is not empty (what
// targetURL would give back: it drops a bare "?"), else the target rebuilt.
func targetOf(base *url.URL, r *http.Request) string {
	if base.Path == "" || base.Path == "/" {
		path, query, hasQuery := strings.Cut(r.RequestURI, "?")
		if strings.HasPrefix(path, "/") && plainPath(path) && (query != "" || !hasQuery) {
			return r.RequestURI
		}
	}
	return targetURL(base, r.URL).RequestURI()
}

// asciiFold reports whether a and b are equal ignoring ASCII case, as field names
// compare (textproto.CanonicalMIMEHeaderKey folds ASCII letters only).
func asciiFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
