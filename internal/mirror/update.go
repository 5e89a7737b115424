package mirror

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// An update cannot replay with a version (the engines refuse external versions on
// updates), so replayed as it came it would apply its partial change to whatever copy
// the other cluster holds: with several members replaying in their own orders, the
// copy may end older than the active cluster's. So esdr asks the active cluster to
// answer an update with the whole document it made (_source=true), journals that
// document as an index with the update's version (versioned.go), and removes the
// document from the answer again when the client did not ask for it. An update asking
// for part of its document is refused (scripted updates are, by the policy). What
// stays a partial update: an answer without the source (a noop: nothing changed).
// _bulk update items: update_bulk.go.

// filteredSourceParams ask for part of the document: esdr cannot journal the whole
// document from such an answer, nor give the client its part without filtering sources
// itself, so it refuses them (_source=<fields> too).
var filteredSourceParams = []string{"_source_includes", "_source_excludes", "_source_include", "_source_exclude"}

// keptUpdateParams are the update's parameters that mean the same for the index that
// replays it; the rest (retry_on_conflict, if_seq_no, lang, ...) belong to the update.
var keptUpdateParams = []string{"routing", "refresh", "timeout", "wait_for_active_shards"}

// updateDoc returns the index and id of a single-document update (POST
// /<index>/_update/<id>), ok=false for anything else.
func updateDoc(method, path string) (index, id string, ok bool) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if method != http.MethodPost || len(segs) != 3 || segs[1] != "_update" || strings.HasPrefix(segs[0], "_") {
		return "", "", false
	}
	index, err1 := url.PathUnescape(segs[0])
	id, err2 := url.PathUnescape(segs[2])
	return index, id, err1 == nil && err2 == nil && id != ""
}

// updateSource is how a single-document update is forwarded so that its answer holds
// the whole document: the query with _source=true in place of the client's _source, and
// whether esdr must drop the document from the answer (the client did not ask for it).
// whole is false for anything but an update; refusal says why an update asking for part
// of its document is refused.
func updateSource(method, path, query string) (forward string, whole, drop bool, refusal string) {
	if _, _, ok := updateDoc(method, path); !ok {
		return query, false, false, ""
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return query, false, false, ""
	}
	for _, p := range filteredSourceParams {
		if q.Has(p) {
			return query, false, false, "mirror mode: an update answering with part of its document (" + p + ") cannot " +
				"be journaled with its version; ask for _source=true (or no _source) and keep the fields you need"
		}
	}
	switch v := q.Get("_source"); {
	case v == "true":
		return query, true, false, ""
	case v != "" && v != "false":
		return query, false, false, "mirror mode: an update answering with part of its document (_source=" + v + ") cannot " +
			"be journaled with its version; ask for _source=true (or no _source) and keep the fields you need"
	}
	return joinQuery(dropParams(query, "_source"), "_source=true"), true, true, ""
}

// wholeDoc returns rec, an update the active cluster accepted with answer resp to the
// query updateSource made, as the index of the whole document the answer holds, with
// the update's version; rec as it was when the answer has no version or no document.
func wholeDoc(rec Record, resp []byte) Record {
	index, id, ok := updateDoc(rec.Method, rec.Path)
	if !ok {
		return rec
	}
	var a updateAnswer
	if json.Unmarshal(resp, &a) != nil {
		return rec
	}
	version, doc, ok := a.document()
	if !ok {
		return rec
	}
	q := url.Values{}
	if old, err := url.ParseQuery(rec.Query); err == nil {
		for _, k := range keptUpdateParams {
			if v := old.Get(k); v != "" {
				q.Set(k, v)
			}
		}
	}
	q.Set("version", strconv.FormatInt(version, 10))
	q.Set("version_type", replayVersionType)
	path := "/" + url.PathEscape(index) + "/_doc/" + url.PathEscape(id)
	var body bytes.Buffer
	if json.Compact(&body, doc) != nil {
		return rec
	}
	// The active cluster ran its pipelines when it made the document; the replay must
	// not run the other's default pipeline over the result.
	q.Set("pipeline", "_none")
	return Record{Method: http.MethodPut, Path: path, Query: q.Encode(), ContentType: "application/json",
		Body: body.Bytes(), Epoch: rec.Epoch, Cluster: rec.Cluster, Time: rec.Time}
}

// dropGet removes the document esdr asked an update's answer to hold (updateSource)
// from the answer's tree.
func dropGet(tree any) any {
	obj, ok := tree.(jsonObject)
	if !ok {
		return tree
	}
	out := obj[:0:0]
	for _, m := range obj {
		if m.Key != "get" {
			out = append(out, m)
		}
	}
	return out
}
