package proxy

import (
	"net"
	"net/http"
	"net/textproto"
	"strings"
)

// Response headers telling applications and tests which cluster and epoch answered.
const (
	headerCluster = "X-Esdr-Cluster"
	headerEpoch   = "X-Esdr-Epoch"
)

// hopByHop are the connection-specific fields of RFC 9110 section 7.6.1, which a proxy
// removes in both directions (Proxy-Connection is the legacy spelling clients still send).
var hopByHop = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "TE", "Trailer", "Transfer-Encoding", "Upgrade",
}

// removeHopByHop deletes the hop-by-hop fields and every field named by Connection.
func removeHopByHop(h http.Header) {
	for _, v := range h.Values("Connection") {
		for name := range strings.SplitSeq(v, ",") {
			if name = textproto.TrimString(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, name := range hopByHop {
		h.Del(name)
	}
}

// upstreamHeader builds the header sent to a node from the client's: hop-by-hop fields
// removed, Expect removed (the proxy's own server has answered it), X-Forwarded-For
// appended, Via added, and the configured Authorization when the cluster has one.
func upstreamHeader(in *http.Request, auth string) http.Header {
	h := in.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	removeHopByHop(h)
	h.Del("Expect")
	if ip, _, err := net.SplitHostPort(in.RemoteAddr); err == nil {
		if prior := h.Values("X-Forwarded-For"); len(prior) > 0 {
			ip = strings.Join(prior, ", ") + ", " + ip
		}
		h.Set("X-Forwarded-For", ip)
	}
	h.Add("Via", "1.1 esdr")
	if auth != "" {
		h.Set("Authorization", auth)
	}
	if _, ok := h["User-Agent"]; !ok {
		h["User-Agent"] = nil // keep Go's default User-Agent out, as httputil.ReverseProxy does
	}
	return h
}

// copyResponseHeader copies a node's response header to the client, without hop-by-hop
// fields.
func copyResponseHeader(dst, src http.Header) {
	for k, vv := range src {
		dst[k] = append([]string(nil), vv...)
	}
	removeHopByHop(dst)
}

// reject returns why the proxy refuses to forward r, or nil. Only origin-form targets
// ("/path?query") are forwarded: an absolute URI would ask the proxy to pick the host,
// CONNECT to open a tunnel, and "*" is meaningless to Elasticsearch.
func reject(r *http.Request) *esError {
	if r.Method == http.MethodConnect {
		return newESError(http.StatusMethodNotAllowed, typeMethodNotAllowed,
			"CONNECT is not allowed: esdr forwards Elasticsearch requests, it is not a tunnel")
	}
	if !strings.HasPrefix(r.RequestURI, "/") {
		return newESError(http.StatusBadRequest, typeBadRequest,
			"only origin-form request targets such as /index/_search are accepted: esdr is not an open proxy")
	}
	return nil
}
