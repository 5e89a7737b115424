package mirror

import (
	"bytes"
	"encoding/json"
	"net/url"
)

// _bulk update items get the single update's treatment (update.go) when esdr can ask for
// their documents without risking the answer's bound: the _bulk is forwarded with
// _source=true, each update item the active cluster accepted is journaled as the index
// of the document its answer holds, with its version, and the documents are removed
// from the answer again. The answer grows by the documents, so only a _bulk of at most
// an eighth of mirror's answer bound (MaxResponse) asks; the update items of a larger
// one, and those whose payload names its own _source, are read back after the answer
// (update_readback.go).

// bulkSourcePath is what a filtered _bulk answer must keep for the documents.
const bulkSourcePath = "items.*.get._source"

// bulkSource returns the query to forward for a _bulk holding update items, with
// _source=true, and true; query and false when esdr does not ask (no update item, a
// client _source parameter, a body too large for the answer's bound).
func bulkSource(query string, body []byte, maxResponse int64) (string, bool) {
	if int64(len(body)) > maxResponse/8 || !hasUpdateLine(body) {
		return query, false
	}
	q, err := url.ParseQuery(query)
	if err != nil || q.Has("_source") {
		return query, false
	}
	for _, p := range filteredSourceParams {
		if q.Has(p) {
			return query, false
		}
	}
	return joinQuery(query, "_source=true"), true
}

// hasUpdateLine says whether a line of body reads as an update action: a source line
// that does only costs the reshaping of the answer.
func hasUpdateLine(body []byte) bool {
	for len(body) > 0 {
		if op, _ := actionName(bytes.TrimSpace(nextLine(&body))); op == "update" {
			return true
		}
	}
	return false
}

// updateAnswer is what an update's answer, single or a _bulk item, says of the document
// it made when asked for it.
type updateAnswer struct {
	Version *int64 `json:"_version"`
	Result  string `json:"result"`
	Get     struct {
		Source json.RawMessage `json:"_source"`
	} `json:"get"`
}

// document returns the update's version and the whole document; ok is false for a noop
// (nothing changed) or an answer without them.
func (a updateAnswer) document() (int64, json.RawMessage, bool) {
	if a.Version == nil || a.Result == "noop" || len(a.Get.Source) == 0 || a.Get.Source[0] != '{' {
		return 0, nil, false
	}
	return *a.Version, a.Get.Source, true
}

// wholeItem returns the action and source lines that replay an accepted update item
// whole, or ok=false when it stays a partial update (for the read-back).
func wholeItem(action, payload []byte, item json.RawMessage) (line, source []byte, ok bool) {
	var a updateAnswer
	if json.Unmarshal(item, &a) != nil {
		return nil, nil, false
	}
	return wholeAnswer(action, payload, a)
}

// wholeAnswer is wholeItem with the item's answer read.
func wholeAnswer(action, payload []byte, a updateAnswer) (line, source []byte, ok bool) {
	if bytes.Contains(payload, []byte(`"_source"`)) {
		return nil, nil, false // the payload shapes the answer's source itself
	}
	var act map[string]map[string]json.RawMessage
	if json.Unmarshal(action, &act) != nil || act["update"] == nil {
		return nil, nil, false
	}
	version, doc, ok := a.document()
	if !ok {
		return nil, nil, false
	}
	return indexItem(act["update"], version, doc)
}

// indexItem is the _bulk index action and compacted source that replay a document
// whole: the update's _index, _id, routing and require_alias, the version as an
// external one, and no pipeline (the active cluster ran them).
func indexItem(meta map[string]json.RawMessage, version int64, doc json.RawMessage) (line, source []byte, ok bool) {
	out := map[string]any{"version": version, "version_type": replayVersionType, "pipeline": "_none"}
	for _, k := range []string{"_index", "_id", "routing", "require_alias"} {
		if v, ok := meta[k]; ok {
			out[k] = v
		}
	}
	line, err := json.Marshal(map[string]any{"index": out})
	var buf bytes.Buffer
	if err != nil || json.Compact(&buf, doc) != nil {
		return nil, nil, false
	}
	return line, buf.Bytes(), true
}

// dropItemGets removes the documents esdr asked a _bulk answer's update items to hold
// (bulkSource) from the answer's tree.
func dropItemGets(tree any) any {
	root, ok := tree.(jsonObject)
	if !ok {
		return tree
	}
	for _, m := range root {
		items, ok := m.Value.([]any)
		if m.Key != "items" || !ok {
			continue
		}
		for _, it := range items {
			item, ok := it.(jsonObject)
			if !ok {
				continue
			}
			for i, op := range item {
				if op.Key == "update" {
					item[i].Value = dropGet(op.Value)
				}
			}
		}
	}
	return root
}
