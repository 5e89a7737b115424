package mirror

import (
	"encoding/json"
	"net/http"
	"strings"
)

// classifyIndex handles /{index}/... paths. The index may be an alias: a write through
// an alias replays through the same alias on the standby, which is why alias changes are
// mirrored too.
func classifyIndex(r Request, method string, segs []string) Decision {
	index, write := segs[0], method == http.MethodPut || method == http.MethodPost
	if len(segs) == 1 {
		switch {
		case strings.ContainsAny(index, "*,") || index == "_all":
			return refuse("%s on several indices (%s) is not mirrored: name one index per request", method, index)
		case method == http.MethodPut, method == http.MethodDelete:
			return Decision{Class: Replicate} // create (with mappings) or delete one index
		}
		return refuse("%s /%s is not a known write", method, index)
	}
	if strings.ContainsAny(index, "*,") || index == "_all" {
		return refuse("%s /%s targets several indices and is not mirrored: name one index", method, strings.Join(segs, "/"))
	}
	switch ep := segs[1]; {
	case ep == "_doc" && len(segs) == 2 && method == http.MethodPost:
		return Decision{Class: AssignID, Index: index}
	case ep == "_doc" && len(segs) == 3 && (write || method == http.MethodDelete):
		return Decision{Class: Replicate}
	case ep == "_create" && len(segs) == 3 && write:
		return Decision{Class: Replicate}
	case ep == "_update" && len(segs) == 3 && method == http.MethodPost:
		if why := scriptedUpdate(r.Body); why != "" {
			return refuse("_update %s: %s", segs[2], why)
		}
		return Decision{Class: Replicate}
	case ep == "_bulk" && len(segs) == 2 && write:
		return checkBulk(r.Body, index)
	case (ep == "_mapping" || ep == "_mappings") && len(segs) == 2 && write:
		return Decision{Class: Replicate}
	case (ep == "_alias" || ep == "_aliases") && (write || method == http.MethodDelete):
		return Decision{Class: Replicate}
	case ep == "_delete_by_query":
		return refuse("_delete_by_query deletes what matches on each cluster at the time it runs and cannot be replayed; " +
			"search for the ids and delete them by id (or in a _bulk of deletes by id)")
	case ep == "_update_by_query":
		return refuse("_update_by_query runs a script over what matches and cannot be replayed; " +
			"update the documents by id with partial documents")
	case ep == "_settings":
		return refuse("index settings are per cluster (replicas, allocation, refresh) and not mirrored; " +
			"apply them to each cluster directly")
	}
	return refuse("%s /%s is not mirrored (index administration or an unknown write); "+
		"run it on each cluster directly", method, strings.Join(segs, "/"))
}

// scriptedUpdate says why an _update body cannot be replayed, or "" when it can: a
// partial document (doc, doc_as_upsert, upsert) sets the same fields however often it is
// applied, but a script may not (ctx._source.n += 1 applied twice adds two).
func scriptedUpdate(body []byte) string {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return "unreadable body: " + err.Error()
	}
	if _, ok := top["script"]; ok {
		return "a scripted update is not idempotent and cannot be replayed safely; send a partial document (\"doc\") instead"
	}
	return ""
}
