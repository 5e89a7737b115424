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
// removes in both directions (Proxy-Connection is the legacy spelling clients still send),
// in canonical form: parsed headers hold their keys canonical, so they are deleted
// directly, without canonicalizing each name on every request.
var hopByHop = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// removeHopByHop deletes the hop-by-hop fields and every field named by Connection.
func removeHopByHop(h http.Header) {
	for _, v := range h["Connection"] {
		for name := range strings.SplitSeq(v, ",") {
			if name = textproto.TrimString(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, name := range hopByHop {
		delete(h, name)
	}
}

// cloneWithRoom copies h into dst with one backing array for all the values, as
// Header.Clone does, plus extra spare slots returned for the fields the proxy adds, so
// adding them allocates nothing more. Each field's slice is capped at its own values:
// appending to one never writes over the next.
func cloneWithRoom(dst, h http.Header, extra int) (spare []string) {
	return cloneInto(dst, h, make([]string, valueCount(h)+extra))
}

// valueCount is the number of values in h.
func valueCount(h http.Header) int {
	n := 0
	for _, vv := range h {
		n += len(vv)
	}
	return n
}

// cloneInto is cloneWithRoom into vals, at least valueCount(h) long.
func cloneInto(dst, h http.Header, vals []string) (spare []string) {
	for k, vv := range h {
		if vv == nil {
			dst[k] = nil // kept as Clone keeps them
			continue
		}
		c := copy(vals, vv)
		dst[k], vals = vals[:c:c], vals[c:]
	}
	return vals
}

// setOne sets h[key] to the single value v, using a spare slot when one is left.
func setOne(h http.Header, key, v string, spare []string) []string {
	if len(spare) == 0 {
		h[key] = []string{v}
		return spare
	}
	spare[0] = v
	h[key] = spare[:1:1]
	return spare[1:]
}

// upstreamHeader builds the header sent to a node from the client's: hop-by-hop fields
// removed, Expect removed (the proxy's own server has answered it), X-Forwarded-For
// appended, Via added, and the configured Authorization when the cluster has one.
func upstreamHeader(in *http.Request, auth string) http.Header {
	h := make(http.Header, len(in.Header)+3)
	spare := cloneWithRoom(h, in.Header, 3)
	removeHopByHop(h)
	delete(h, "Expect")
	if ip, _, err := net.SplitHostPort(in.RemoteAddr); err == nil {
		if prior := h["X-Forwarded-For"]; len(prior) > 0 {
			ip = strings.Join(prior, ", ") + ", " + ip
		}
		spare = setOne(h, "X-Forwarded-For", ip, spare)
	}
	if via := h["Via"]; len(via) > 0 {
		h["Via"] = append(via, "1.1 esdr")
	} else {
		spare = setOne(h, "Via", "1.1 esdr", spare)
	}
	if auth != "" {
		setOne(h, "Authorization", auth, spare)
	}
	if _, ok := h["User-Agent"]; !ok {
		h["User-Agent"] = nil // keep Go's default User-Agent out, as httputil.ReverseProxy does
	}
	return h
}

// copyResponseHeader copies a node's response header to the client, without hop-by-hop
// fields, and says which cluster and epoch answered.
// vals holds the values, at least valueCount(src)+2 long.
func copyResponseHeader(dst, src http.Header, cluster, epoch string, vals []string) {
	spare := cloneInto(dst, src, vals)
	removeHopByHop(dst)
	spare = setOne(dst, headerCluster, cluster, spare)
	setOne(dst, headerEpoch, epoch, spare)
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
