package mirror

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Query parameters a replay drops: the active cluster already applied them. refresh would
// only slow the standby, and if_seq_no/if_primary_term name the active cluster's sequence
// numbers, which mean nothing on the standby (the journal's order already encodes the
// outcome of the check). filter_path and format only shape the answer, which the replay
// must read whole, as JSON: esdr journals writes without them since 2026-12-05, and
// drops them from records journaled before.
var droppedParams = map[string]bool{"refresh": true, "if_seq_no": true, "if_primary_term": true,
	"filter_path": true, "format": true}

// Parameters a single-document write may carry and still join a _bulk (routing moves
// into the action line, the rest have no per-item meaning for the replay).
var bulkableParams = map[string]bool{
	"routing": true, "refresh": true, "timeout": true, "wait_for_active_shards": true,
	"if_seq_no": true, "if_primary_term": true, "op_type": true, "filter_path": true, "format": true,
	"version": true, "version_type": true, "pipeline": true,
}

// docOp returns the _bulk form of a single-document index, create or delete by id, or
// ok=false for a record that must be sent on its own.
func docOp(rec Record) (op string, meta bulkMeta, ok bool) {
	segs := strings.Split(strings.Trim(rec.Path, "/"), "/")
	if len(segs) != 3 || strings.HasPrefix(segs[0], "_") {
		return "", bulkMeta{}, false
	}
	switch {
	case segs[1] == "_doc" && (rec.Method == http.MethodPut || rec.Method == http.MethodPost):
		op = "index"
	case segs[1] == "_create" && (rec.Method == http.MethodPut || rec.Method == http.MethodPost):
		op = "create"
	case segs[1] == "_doc" && rec.Method == http.MethodDelete:
		op = "delete"
	default:
		return "", bulkMeta{}, false
	}
	q, err := url.ParseQuery(rec.Query)
	if err != nil {
		return "", bulkMeta{}, false
	}
	for k := range q {
		if !bulkableParams[k] {
			return "", bulkMeta{}, false
		}
	}
	if q.Get("op_type") == "create" && op == "index" {
		op = "create"
	}
	if op != "delete" && bytes.IndexByte(rec.Body, '\n') >= 0 && !json.Valid(rec.Body) {
		return "", bulkMeta{}, false // a _bulk source must fit on one line: compacted in Apply
	}
	index, err1 := url.PathUnescape(segs[0])
	id, err2 := url.PathUnescape(segs[2])
	if err1 != nil || err2 != nil || id == "" {
		return "", bulkMeta{}, false
	}
	meta = bulkMeta{Index: index, ID: id, Routing: q.Get("routing"), VersionType: q.Get("version_type")}
	if op != "delete" {
		meta.Pipeline = q.Get("pipeline") // an index's or create's, which a delete does not take
	}
	if v := q.Get("version"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return "", bulkMeta{}, false // the active cluster took it as it was: so goes the replay
		}
		meta.Version = &n
	}
	return op, meta, true
}

// replayTarget is the path and query a record is sent to on the standby, without the
// dropped parameters.
func replayTarget(rec Record) string {
	if rec.Query == "" {
		return rec.Path
	}
	q, err := url.ParseQuery(rec.Query)
	if err != nil {
		return rec.Path + "?" + rec.Query // the active cluster took it as it was
	}
	for k := range droppedParams {
		q.Del(k)
	}
	if len(q) == 0 {
		return rec.Path
	}
	return rec.Path + "?" + q.Encode()
}

// outcome classifies the standby's answer to one replayed operation.
type outcome int

const (
	applied   outcome = iota // done, or already done by an earlier replay
	transient                // retry later: overloaded, unavailable, no master
	refused                  // will never succeed: stop replication
)

// classifyStatus maps the standby's status for one operation to an outcome. Replays are
// repeated after a crash or a timeout, so "already there" answers count as applied: 409
// (the document exists for a create, or a newer external version is stored) and 404 for
// a delete (the document or index is already gone). errType is the error.type, if any.
func classifyStatus(method string, status int, errType string) outcome {
	switch {
	case status >= 200 && status < 300:
		return applied
	case status == http.StatusConflict:
		return applied
	case status == http.StatusNotFound && method == http.MethodDelete:
		return applied
	case status == http.StatusBadRequest && errType == "resource_already_exists_exception":
		return applied // index creation replayed
	case status == http.StatusTooManyRequests, status == http.StatusRequestTimeout, status >= 500:
		return transient
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		// Credentials, privileges or a read-only block (disk watermark) on the standby:
		// not the record's fault, and an operator can fix it. Lag grows and shows it.
		return transient
	}
	return refused
}
