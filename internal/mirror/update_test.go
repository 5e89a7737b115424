package mirror

import (
	"net/http"
	"strings"
	"testing"
)

// TestUpdateSource: an update is forwarded asking for its whole document, unless it
// asks for part of it, which is refused; anything else goes as it came.
func TestUpdateSource(t *testing.T) {
	cases := []struct {
		name, method, path, query string
		forward                   string
		whole, drop               bool
		refusal                   string
	}{
		{"an update without _source asks for the document and drops it from the answer", "POST", "/orders/_update/1", "refresh=true",
			"refresh=true&_source=true", true, true, ""},
		{"an update with _source=false asks for it all the same", "POST", "/orders/_update/1", "_source=false&routing=r",
			"routing=r&_source=true", true, true, ""},
		{"an update with _source=true keeps the document in its answer", "POST", "/orders/_update/1", "_source=true",
			"_source=true", true, false, ""},
		{"an update asking for some fields is refused", "POST", "/orders/_update/1", "_source=a,b", "_source=a,b", false, false, "_source=a,b"},
		{"an update with _source_includes is refused", "POST", "/orders/_update/1", "_source_includes=a", "_source_includes=a", false, false, "(_source_includes)"},
		{"an index is not an update", "PUT", "/orders/_doc/1", "refresh=true", "refresh=true", false, false, ""},
		{"a _bulk is not a single update", "POST", "/orders/_bulk", "", "", false, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fwd, whole, drop, refusal := updateSource(c.method, c.path, c.query)
			if fwd != c.forward || whole != c.whole || drop != c.drop || (refusal == "") != (c.refusal == "") || !strings.Contains(refusal, c.refusal) {
				t.Errorf("updateSource = %q, whole %v, drop %v, refusal %q; want %q, %v, %v, %q", fwd, whole, drop, refusal, c.forward, c.whole, c.drop, c.refusal)
			}
		})
	}
}

// TestWholeDoc: an accepted update is journaled as the index of the document its answer
// holds, with its version and the routing; an answer without one leaves the update.
func TestWholeDoc(t *testing.T) {
	upd := Record{Method: http.MethodPost, Path: "/orders/_update/a%2Fb", Query: "routing=r&retry_on_conflict=3&_source=true&refresh=wait_for",
		ContentType: "application/json", Body: []byte(`{"doc":{"n":2}}`)}
	cases := []struct {
		name, answer string
		want         Record
	}{
		{"an updated document replays whole with its version, without the default pipeline",
			`{"_index":"orders","_id":"a/b","_version":7,"result":"updated","get":{"found":true,"_source":{ "n" : 2, "m": [1, 2] }}}`,
			Record{Method: http.MethodPut, Path: "/orders/_doc/a%2Fb", ContentType: "application/json",
				Query: "pipeline=_none&refresh=wait_for&routing=r&version=7&version_type=external_gte", Body: []byte(`{"n":2,"m":[1,2]}`)}},
		{"an upsert replays whole too",
			`{"_version":1,"result":"created","get":{"_source":{"n":2}}}`,
			Record{Method: http.MethodPut, Path: "/orders/_doc/a%2Fb", ContentType: "application/json",
				Query: "pipeline=_none&refresh=wait_for&routing=r&version=1&version_type=external_gte", Body: []byte(`{"n":2}`)}},
		{"a noop stays the update", `{"_version":7,"result":"noop","get":{"_source":{"n":2}}}`, upd},
		{"an answer without the document stays the update", `{"_version":7,"result":"updated"}`, upd},
		{"an answer without a version stays the update", `{"result":"updated","get":{"_source":{"n":2}}}`, upd},
		{"a source that is not an object stays the update", `{"_version":7,"result":"updated","get":{"_source":"x"}}`, upd},
		{"garbage stays the update", `<html>`, upd},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := wholeDoc(upd, []byte(c.answer))
			if got.Method != c.want.Method || got.Path != c.want.Path || got.Query != c.want.Query || string(got.Body) != string(c.want.Body) ||
				got.ContentType != c.want.ContentType {
				t.Errorf("wholeDoc = %s %s?%s %s (%s)\nwant      %s %s?%s %s (%s)", got.Method, got.Path, got.Query, got.Body, got.ContentType,
					c.want.Method, c.want.Path, c.want.Query, c.want.Body, c.want.ContentType)
			}
		})
	}
}
