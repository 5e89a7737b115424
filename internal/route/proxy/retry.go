package proxy

import (
	"net/http"
	"slices"
	"strings"
)

// kind is how safe a request is to send again.
//
//	failure                                       read          scroll          write
//	never delivered (dial failed, nothing sent)   other node,   other node of   other node,
//	                                              then failover the same epoch  then failover
//	delivered, failed before any response byte    other node,   other node of   502 write outcome
//	reached the client (reset, timeout, EOF)      then failover the same epoch  unknown, not replayed
//	failed after the response started             connection aborted (all kinds)
//	a node answered with an HTTP error            passed through unchanged (all kinds)
//
// A retry also needs the request body: kept up to max_retry_body, or not read at all.
type kind int

const (
	// kindWrite is anything not known to be safe to repeat: replaying it could apply it twice.
	kindWrite kind = iota
	// kindRead is safe to repeat on any node of any cluster.
	kindRead
	// kindScroll continues or clears a scroll: safe to repeat on another node of the same
	// cluster, but a scroll id means nothing to another cluster, so it never follows a
	// failover (the client gets the error and restarts its scroll).
	kindScroll
)

func (k kind) String() string {
	switch k {
	case kindRead:
		return "read"
	case kindScroll:
		return "scroll"
	}
	return "write"
}

// retryable says whether a request of this kind may be sent again after a failure of
// the given class, and whether it may follow a failover to another cluster.
func (k kind) retryable(delivered bool) (again, acrossClusters bool) {
	switch {
	case k == kindScroll:
		return true, false
	case k == kindRead:
		return true, true
	case !delivered: // a write nobody received
		return true, true
	}
	return false, false
}

// readEndpoints are the POST endpoints that only read, as path segments from the first
// segment starting with "_". "*" stands for exactly one segment (a document id).
var readEndpoints = [][]string{
	{"_search"}, {"_search", "template"}, {"_msearch"}, {"_msearch", "template"},
	{"_count"}, {"_mget"}, {"_field_caps"}, {"_validate", "query"}, {"_explain", "*"},
	{"_terms_enum"}, {"_search_shards"}, {"_render", "template"},
}

// classify returns the kind of r. Methods that are safe by HTTP semantics are reads,
// except scrolls; POST is a read only for the endpoints above, addressed as
// /<endpoint> or /<targets>/<endpoint>; everything else is a write.
func classify(r *http.Request) kind {
	var buf [8]string
	segs := segments(buf[:0], r.URL.EscapedPath())
	if len(segs) >= 2 && segs[0] == "_search" && segs[1] == "scroll" && len(segs) <= 3 {
		return kindScroll
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return kindRead
	case http.MethodPost:
	default:
		return kindWrite
	}
	at := 0
	if len(segs) > 0 && !strings.HasPrefix(segs[0], "_") {
		at = 1 // /<targets>/...
	}
	if at >= len(segs) {
		return kindWrite
	}
	rest := segs[at:]
	for _, ep := range readEndpoints {
		if matchSegments(ep, rest) {
			return kindRead
		}
	}
	return kindWrite
}

// segments is strings.Split(strings.Trim(path, "/"), "/") appended to segs, which
// classify backs with an array on its stack: no allocation for a request's path.
func segments(segs []string, path string) []string {
	path = strings.Trim(path, "/")
	for {
		i := strings.IndexByte(path, '/')
		if i < 0 {
			return append(segs, path)
		}
		segs, path = append(segs, path[:i]), path[i+1:]
	}
}

func matchSegments(pattern, segs []string) bool {
	return slices.EqualFunc(pattern, segs, func(p, s string) bool { return p == "*" && s != "" || p == s })
}
