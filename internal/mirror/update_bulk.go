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

// hasUpdateLine says whether a line of body starts as an update action does: a source
// line starting so only costs the reshaping of the answer.
func hasUpdateLine(body []byte) bool {
	for len(body) > 0 {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		line = bytes.TrimLeft(line, " \t\r")
		if len(line) > 0 && line[0] == '{' && bytes.HasPrefix(bytes.TrimLeft(line[1:], " \t"), []byte(`"update"`)) {
			return true
		}
	}
	return false
}

// wholeItem returns the action and source lines that replay an accepted update item
// whole: an index of the document answered in get._source with the item's version, the
// update's _index, _id and routing, and no pipeline. ok is false when the item stays a
// partial update.
func wholeItem(action, payload []byte, item json.RawMessage) (line, source []byte, ok bool) {
	if bytes.Contains(payload, []byte(`"_source"`)) {
		return nil, nil, false // the payload shapes the answer's source itself
	}
	var res struct {
		Version *int64 `json:"_version"`
		Result  string `json:"result"`
		Get     struct {
			Source json.RawMessage `json:"_source"`
		} `json:"get"`
	}
	if json.Unmarshal(item, &res) != nil || res.Version == nil || res.Result == "noop" ||
		len(res.Get.Source) == 0 || res.Get.Source[0] != '{' {
		return nil, nil, false
	}
	var act map[string]map[string]json.RawMessage
	if json.Unmarshal(action, &act) != nil || act["update"] == nil {
		return nil, nil, false
	}
	meta := map[string]any{"version": *res.Version, "version_type": replayVersionType, "pipeline": "_none"}
	for _, k := range []string{"_index", "_id", "routing", "require_alias"} {
		if v, ok := act["update"][k]; ok {
			meta[k] = v
		}
	}
	line, err := json.Marshal(map[string]any{"index": meta})
	var buf bytes.Buffer
	if err != nil || json.Compact(&buf, res.Get.Source) != nil {
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
