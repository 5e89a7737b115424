package mirror

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// Class says what mirror mode does with one request. See docs/mirror.md.
type Class int

const (
	// NotAWrite: reads and maintenance that change no document. Pass through, journal nothing.
	NotAWrite Class = iota
	// Replicate: deterministic when replayed in order. Journal it as-is once the active
	// cluster has accepted it.
	Replicate
	// AssignID: indexing without an id (POST /{index}/_doc). esdr picks the id so that both
	// clusters agree, and forwards and journals the request with Decision.Rewrite's path.
	AssignID
	// Refuse: not safely replayable. Answer with Decision.Reason; do not forward.
	Refuse
	// AssignBulkIDs: a _bulk with index or create items without _id. esdr gives each an
	// id (WithBulkIDs rewrites their action lines) so that both clusters agree, then
	// forwards and journals the rewritten body like Replicate.
	AssignBulkIDs
)

var classNames = [...]string{"not_a_write", "replicate", "assign_id", "refuse", "assign_bulk_ids"}

func (c Class) String() string {
	if c < 0 || int(c) >= len(classNames) {
		return fmt.Sprintf("class(%d)", int(c))
	}
	return classNames[c]
}

// Request is what the policy looks at: method, escaped path without the query, the
// Content-Type header and, for _bulk and _update, the body.
type Request struct {
	Method, Path, ContentType string
	Body                      []byte
}

// Decision is the policy's answer for one request.
type Decision struct {
	Class  Class
	Index  string // the target index, for AssignID
	Reason string // for Refuse: why, and what to do instead

	// actions are a _bulk body's action lines as the check read them, in order, so that
	// the write path reads each once (the document locks and the answer's matching use
	// them too): JSON decoding is most of mirror mode's CPU for a _bulk.
	actions []bulkAction
}

// Rewrite returns the path of an AssignID request with esdr's id: /{index}/_create/{id}.
// _create, not _doc, so that it also works on data streams and never overwrites.
func (d Decision) Rewrite(id string) string { return "/" + d.Index + "/_create/" + id }

// NewID returns a random 20-character URL-safe document id, the length of the ids
// Elasticsearch assigns itself.
func NewID() string {
	var b [15]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// RefusalStatus and RefusalBody are the answer to a refused request: an Elasticsearch-
// shaped error that clients surface as it is and do not retry.
const RefusalStatus = http.StatusBadRequest

// RefusalBody is the JSON error body for a refusal reason.
func RefusalBody(reason string) []byte {
	cause := map[string]string{"type": "esdr_mirror_mode_exception", "reason": reason}
	b, _ := json.Marshal(map[string]any{
		"error":  map[string]any{"root_cause": []any{cause}, "type": cause["type"], "reason": reason},
		"status": RefusalStatus,
	})
	return b
}

func refuse(format string, a ...any) Decision {
	return Decision{Class: Refuse, Reason: "mirror mode: " + fmt.Sprintf(format, a...)}
}

// Endpoints that change no document, whatever the method (searches, multi-gets, scroll
// and point-in-time handles, refresh and flush).
var readEndpoints = map[string]bool{
	"_search": true, "_msearch": true, "_count": true, "_mget": true, "_field_caps": true,
	"_validate": true, "_explain": true, "_termvectors": true, "_mtermvectors": true,
	"_analyze": true, "_refresh": true, "_flush": true, "_pit": true, "_rank_eval": true,
	"_render": true, "_cache": true, "_forcemerge": true,
}

// Classify applies the mirror policy to one request. It is pure: the same request always
// gets the same answer.
func Classify(r Request) Decision {
	method := strings.ToUpper(r.Method)
	if method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions {
		return Decision{Class: NotAWrite}
	}
	segs := strings.Split(strings.TrimSuffix(strings.TrimPrefix(r.Path, "/"), "/"), "/")
	if segs[0] == "" {
		return refuse("%s / is not a known write", method)
	}
	root := strings.HasPrefix(segs[0], "_") && segs[0] != "_all"
	if readEndpoints[segs[0]] || (!root && len(segs) > 1 && readEndpoints[segs[1]]) {
		return Decision{Class: NotAWrite}
	}
	if d, ok := checkBody(r, method); !ok {
		return d
	}
	if root {
		return classifyRoot(r, method, segs)
	}
	return classifyIndex(r, method, segs)
}

// checkBody refuses bodies the journal cannot replay faithfully: mirror mode replays JSON.
func checkBody(r Request, method string) (Decision, bool) {
	if len(r.Body) == 0 || r.ContentType == "" {
		return Decision{}, true
	}
	mt, _, err := mime.ParseMediaType(r.ContentType)
	switch {
	case err != nil:
		return refuse("unreadable Content-Type %q", r.ContentType), false
	case mt == "application/json", mt == "application/x-ndjson",
		mt == "application/vnd.elasticsearch+json", mt == "application/vnd.elasticsearch+x-ndjson":
		return Decision{}, true
	}
	return refuse("%s with a %s body cannot be mirrored; send JSON", method, mt), false
}

// classifyRoot handles /_something paths.
func classifyRoot(r Request, method string, segs []string) Decision {
	switch {
	case segs[0] == "_bulk" && len(segs) == 1 && (method == http.MethodPost || method == http.MethodPut):
		return checkBulk(r.Body, "")
	case segs[0] == "_aliases" && len(segs) == 1 && method == http.MethodPost:
		return Decision{Class: Replicate}
	case segs[0] == "_reindex":
		return refuse("_reindex reads the cluster it runs on and cannot be replayed; run it on each cluster, or reindex with explicit ids through esdr")
	}
	return refuse("%s /%s changes cluster configuration, which esdr does not mirror; apply it to each cluster directly", method, strings.Join(segs, "/"))
}
