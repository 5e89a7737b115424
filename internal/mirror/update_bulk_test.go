package mirror

import (
	"testing"
)

// TestBulkSource: a _bulk with update items asks for their documents unless the client
// shapes sources itself or the body is too large for the answer's bound.
func TestBulkSource(t *testing.T) {
	upd := []byte("{\"update\":{\"_id\":\"1\"}}\n{\"doc\":{\"n\":1}}\n")
	cases := []struct {
		name, query string
		body        []byte
		max         int64
		want        string
		asks        bool
	}{
		{"a _bulk with an update item asks for the documents", "refresh=true", upd, 1 << 20, "refresh=true&_source=true", true},
		{"a _bulk without update items goes as it came", "", []byte("{\"index\":{\"_id\":\"1\"}}\n{\"f\":\"update\",\"update\":1}\n"), 1 << 20, "", false},
		{"an update action written with spaces counts", "", []byte("{\"index\":{\"_id\":\"1\"}}\n{}\n { \"update\" : {\"_id\":\"1\"}}\n{\"doc\":{}}"), 1 << 20, "_source=true", true},
		{"a client's _source is left alone", "_source=false", upd, 1 << 20, "_source=false", false},
		{"a client's _source_includes is left alone", "_source_includes=a", upd, 1 << 20, "_source_includes=a", false},
		{"a body over an eighth of the answer's bound does not ask", "", upd, int64(len(upd)*8 - 1), "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, asks := bulkSource(c.query, c.body, c.max)
			if got != c.want || asks != c.asks {
				t.Errorf("bulkSource = %q, %v; want %q, %v", got, asks, c.want, c.asks)
			}
		})
	}
}

// TestWholeItem: an accepted update item replays as the index of its answered document
// with its version, the update's _index, _id and routing, and no pipeline; otherwise it
// stays the update.
func TestWholeItem(t *testing.T) {
	action := []byte(`{"update":{"_index":"o","_id":"1","routing":"r","retry_on_conflict":3,"if_seq_no":4}}`)
	cases := []struct {
		name, payload, item string
		line, source        string
	}{
		{"an updated item replays whole", `{"doc":{"n":1}}`,
			`{"_version":4,"result":"updated","status":200,"get":{"_source":{"n" : 1,"m":2}}}`,
			`{"index":{"_id":"1","_index":"o","pipeline":"_none","routing":"r","version":4,"version_type":"external_gte"}}`, `{"n":1,"m":2}`},
		{"a payload with its own _source stays the update", `{"doc":{"n":1},"_source":["n"]}`,
			`{"_version":4,"result":"updated","get":{"_source":{"n":1}}}`, "", ""},
		{"a noop stays the update", `{"doc":{"n":1}}`, `{"_version":4,"result":"noop","get":{"_source":{"n":1}}}`, "", ""},
		{"an item without its document stays the update", `{"doc":{"n":1}}`, `{"_version":4,"result":"updated"}`, "", ""},
		{"an item without a version stays the update", `{"doc":{"n":1}}`, `{"result":"updated","get":{"_source":{"n":1}}}`, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			line, source, ok := wholeItem(action, []byte(c.payload), []byte(c.item))
			if ok != (c.line != "") || string(line) != c.line || string(source) != c.source {
				t.Errorf("wholeItem = %s / %s (%v), want %s / %s", line, source, ok, c.line, c.source)
			}
		})
	}
}

// TestDropItemGets removes the documents of update items only.
func TestDropItemGets(t *testing.T) {
	tree, err := decodeTree([]byte(`{"took":1,"items":[{"update":{"_id":"1","status":200,"get":{"_source":{"n":1}}}},` +
		`{"index":{"_id":"2","status":201,"get":"kept"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	got := string(encodeJSON(dropItemGets(tree), false))
	want := `{"took":1,"items":[{"update":{"_id":"1","status":200}},{"index":{"_id":"2","status":201,"get":"kept"}}]}`
	if got != want {
		t.Errorf("dropItemGets = %s\nwant %s", got, want)
	}
	if got := string(encodeJSON(dropItemGets([]any{"x"}), false)); got != `["x"]` {
		t.Errorf("a root that is not an object became %s", got)
	}
}
