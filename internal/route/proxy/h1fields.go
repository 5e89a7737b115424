package proxy

import (
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"unsafe"

	"github.com/esdr/esdr/internal/route/proxy/h1"
)

// Conversions between the header maps the forwarding code holds and the h1 package's
// fields, for the proxy's own upstream client, each with a fixed number of allocations.

// fieldsOf turns the header to send into fields; framing fields are the Conn's to write.
// Every name and value is copied into one buffer: two allocations, whatever the count.
func fieldsOf(h http.Header) []h1.Field {
	n, size := 0, 0
	for k, vs := range h {
		if !framing(k) {
			for _, v := range vs {
				n, size = n+1, size+len(k)+len(v)
			}
		}
	}
	out, buf := make([]h1.Field, 0, n), make([]byte, 0, size)
	for k, vs := range h {
		if framing(k) {
			continue
		}
		for _, v := range vs {
			at := len(buf)
			buf = append(append(buf, k...), v...)
			out = append(out, h1.Field{Name: buf[at : at+len(k) : at+len(k)], Value: buf[at+len(k) : len(buf) : len(buf)]})
		}
	}
	return out
}

// framing reports the fields the Conn writes itself, or never sends.
func framing(k string) bool {
	switch k {
	case "Host", "Content-Length", "Transfer-Encoding", "Connection", "Trailer":
		return true
	}
	return false
}

// headerOf turns a node's answer's fields into a header. Every name and value is cut
// from one string copy of them: the map, its values array and that string, whatever
// the count, when the node sends canonical names (Elasticsearch does).
func headerOf(fields []h1.Field) http.Header {
	h, _ := headerInto(nil, nil, fields, nil)
	return h
}

// headerInto is headerOf refilling h and vals, which a pooled connection keeps from one
// answer to the next. The names and values go into store when they fit, else into one
// string allocated for them. store must never be written again while any string over
// it may be held: an attempt's own array, written once (strings cut from it keep the
// attempt alive as long as they are held, a mirror's held answer outliving it).
func headerInto(h http.Header, vals []string, fields []h1.Field, store []byte) (http.Header, []string) {
	size := 0
	for _, f := range fields {
		size += len(f.Name) + len(f.Value)
	}
	var all string
	if size > 0 && size <= len(store) {
		at := 0
		for _, f := range fields {
			at += copy(store[at:], f.Name)
			at += copy(store[at:], f.Value)
		}
		all = unsafe.String(unsafe.SliceData(store), size)
	} else {
		var sb strings.Builder
		sb.Grow(size)
		for _, f := range fields {
			sb.Write(f.Name)
			sb.Write(f.Value)
		}
		all = sb.String()
	}
	if h == nil {
		h = make(http.Header, len(fields))
	} else {
		clear(h)
	}
	if cap(vals) < len(fields) {
		vals = make([]string, len(fields)) // each field's first value, in one array
	}
	vals = vals[:len(fields)]
	clear(vals)
	at := 0
	for i, f := range fields {
		k := all[at : at+len(f.Name)]
		v := all[at+len(f.Name) : at+len(f.Name)+len(f.Value)]
		at += len(f.Name) + len(f.Value)
		if !isCanonical(k) {
			k = textproto.CanonicalMIMEHeaderKey(k)
		}
		if old, ok := h[k]; ok {
			h[k] = append(old, v)
			continue
		}
		vals[i] = v
		h[k] = vals[i : i+1 : i+1]
	}
	return h, vals
}

// isCanonical reports whether k is already in textproto's canonical form.
func isCanonical(k string) bool {
	upper := true
	for i := 0; i < len(k); i++ {
		c := k[i]
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			return false
		}
		upper = c == '-'
	}
	return true
}

// hostPortOf is u's host with the scheme's default port when none is given.
func hostPortOf(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

func closeRequestBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
