package mirror

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// bulk joins NDJSON lines into a _bulk body.
func bulk(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

func TestClassify(t *testing.T) {
	const js = "application/json"
	cases := []struct {
		name        string
		method      string
		path        string
		ctype, body string
		want        Class
		reasonHas   string // for Refuse
	}{
		// Reads and maintenance pass through.
		{"get doc", "GET", "/orders/_doc/1", "", "", NotAWrite, ""},
		{"head index", "HEAD", "/orders", "", "", NotAWrite, ""},
		{"post search", "POST", "/orders/_search", js, `{"query":{"match_all":{}}}`, NotAWrite, ""},
		{"root msearch", "POST", "/_msearch", "application/x-ndjson", "{}\n{}\n", NotAWrite, ""},
		{"scroll", "POST", "/_search/scroll", js, `{"scroll_id":"x"}`, NotAWrite, ""},
		{"clear scroll", "DELETE", "/_search/scroll", js, `{"scroll_id":"x"}`, NotAWrite, ""},
		{"opensearch pit", "POST", "/orders/_search/point_in_time", "", "", NotAWrite, ""},
		{"count all", "POST", "/_all/_count", "", "", NotAWrite, ""},
		{"refresh", "POST", "/orders/_refresh", "", "", NotAWrite, ""},
		{"mget", "POST", "/_mget", js, `{"docs":[]}`, NotAWrite, ""},

		// Deterministic writes replicate as-is.
		{"put doc", "PUT", "/orders/_doc/42", js, `{"a":1}`, Replicate, ""},
		{"post doc with id", "POST", "/orders/_doc/42", js, `{"a":1}`, Replicate, ""},
		{"create", "PUT", "/orders/_create/42", js, `{"a":1}`, Replicate, ""},
		{"delete doc", "DELETE", "/orders/_doc/42", "", "", Replicate, ""},
		{"escaped id", "PUT", "/orders/_doc/a%2Fb", js, `{}`, Replicate, ""},
		{"trailing slash", "PUT", "/orders/_doc/42/", js, `{}`, Replicate, ""},
		{"es8 compat content type", "PUT", "/orders/_doc/1", "application/vnd.elasticsearch+json; compatible-with=8", `{}`, Replicate, ""},
		{"partial update", "POST", "/orders/_update/42", js, `{"doc":{"a":2},"doc_as_upsert":true}`, Replicate, ""},
		{"create index", "PUT", "/orders", js, `{"mappings":{"properties":{"a":{"type":"long"}}}}`, Replicate, ""},
		{"delete index", "DELETE", "/orders", "", "", Replicate, ""},
		{"put mapping", "PUT", "/orders/_mapping", js, `{"properties":{"b":{"type":"keyword"}}}`, Replicate, ""},
		{"add alias", "PUT", "/orders/_alias/current", "", "", Replicate, ""},
		{"aliases", "POST", "/_aliases", js, `{"actions":[]}`, Replicate, ""},
		{"bulk with ids", "POST", "/_bulk", "application/x-ndjson", bulk(
			`{"index":{"_index":"orders","_id":"1"}}`, `{"a":1}`,
			`{"create":{"_index":"orders","_id":"2"}}`, `{"a":2}`,
			`{"delete":{"_index":"orders","_id":"3"}}`,
			`{"update":{"_index":"orders","_id":"4"}}`, `{"doc":{"a":4}}`), Replicate, ""},
		{"index bulk, default index, CRLF", "PUT", "/orders/_bulk", js,
			"{\"index\":{\"_id\":\"1\"}}\r\n{\"a\":1}\r\n\n", Replicate, ""},

		// esdr assigns the id.
		{"post doc without id", "POST", "/orders/_doc", js, `{"a":1}`, AssignID, ""},

		// Not safely replayable: refused with a reason that says what to do.
		{"scripted update", "POST", "/orders/_update/42", js, `{"script":{"source":"ctx._source.n += 1"}}`, Refuse, "partial document"},
		{"delete by query", "POST", "/orders/_delete_by_query", js, `{"query":{"match_all":{}}}`, Refuse, "delete them by id"},
		{"update by query", "POST", "/orders/_update_by_query", js, `{}`, Refuse, "by id"},
		{"reindex", "POST", "/_reindex", js, `{}`, Refuse, "each cluster"},
		{"index settings", "PUT", "/orders/_settings", js, `{"index":{"number_of_replicas":0}}`, Refuse, "per cluster"},
		{"cluster settings", "PUT", "/_cluster/settings", js, `{}`, Refuse, "each cluster directly"},
		{"index template", "PUT", "/_index_template/t", js, `{}`, Refuse, "cluster configuration"},
		{"pipeline", "PUT", "/_ingest/pipeline/p", js, `{}`, Refuse, "cluster configuration"},
		{"rollover", "POST", "/logs/_rollover", js, `{}`, Refuse, "index administration"},
		{"close index", "POST", "/orders/_close", "", "", Refuse, "index administration"},
		{"wildcard delete", "DELETE", "/logs-*", "", "", Refuse, "one index"},
		{"delete _all", "DELETE", "/_all", "", "", Refuse, "one index"},
		{"post root", "POST", "/", "", "", Refuse, "not a known write"},
		{"post index", "POST", "/orders", js, `{}`, Refuse, "not a known write"},
		{"put doc without id", "PUT", "/orders/_doc", js, `{}`, Refuse, "not mirrored"},
		{"custom type path", "PUT", "/orders/mytype/1", js, `{}`, Refuse, "not mirrored"},
		{"smile body", "PUT", "/orders/_doc/1", "application/smile", "\x3a\x29\x0a", Refuse, "send JSON"},
		{"bulk index without id", "POST", "/_bulk", js, bulk(
			`{"index":{"_index":"orders","_id":"1"}}`, `{"a":1}`,
			`{"index":{"_index":"orders"}}`, `{"a":2}`), AssignBulkIDs, ""},
		{"bulk create without id", "POST", "/orders/_bulk", js, bulk(`{"create":{}}`, `{"a":2}`), AssignBulkIDs, ""},
		{"bulk update without id", "POST", "/_bulk", js, bulk(`{"update":{"_index":"orders"}}`, `{"doc":{"a":1}}`), Refuse, "item 1 (update) has no _id"},
		{"bulk delete without id", "POST", "/_bulk", js, bulk(`{"delete":{"_index":"orders"}}`), Refuse, "item 1 (delete) has no _id"},
		{"bulk scripted update", "POST", "/_bulk", js, bulk(
			`{"update":{"_index":"orders","_id":"1"}}`, `{"script":"ctx._source.n++"}`), Refuse, "item 1 (update 1)"},
		{"bulk without index", "POST", "/_bulk", js, bulk(`{"delete":{"_id":"1"}}`), Refuse, "no _index"},
		{"bulk numeric id", "POST", "/_bulk", js, bulk(`{"delete":{"_index":"o","_id":1}}`), Refuse, "as strings"},
		{"bulk unknown action", "POST", "/_bulk", js, bulk(`{"upsert":{"_index":"o","_id":"1"}}`), Refuse, "unknown action"},
		{"bulk garbage", "POST", "/_bulk", js, "not json\n", Refuse, "unreadable action line"},
		{"bulk empty", "POST", "/_bulk", js, "\n\n", Refuse, "empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := Classify(Request{Method: c.method, Path: c.path, ContentType: c.ctype, Body: []byte(c.body)})
			if d.Class != c.want {
				t.Fatalf("Classify = %s (%s), want %s", d.Class, d.Reason, c.want)
			}
			if c.want == Refuse && (!strings.Contains(d.Reason, c.reasonHas) || !strings.HasPrefix(d.Reason, "mirror mode: ")) {
				t.Errorf("reason %q, want it to contain %q", d.Reason, c.reasonHas)
			}
		})
	}
}

func TestAssignID(t *testing.T) {
	d := Classify(Request{Method: "POST", Path: "/orders/_doc", ContentType: "application/json", Body: []byte(`{}`)})
	if got := d.Rewrite("abc"); got != "/orders/_create/abc" {
		t.Errorf("Rewrite = %q", got)
	}
	a, b := NewID(), NewID()
	if len(a) != 20 || a == b || strings.ContainsAny(a, "/+=") {
		t.Errorf("NewID = %q, %q", a, b)
	}
	// The rewritten request is itself a plain replicated write.
	if c := Classify(Request{Method: "PUT", Path: d.Rewrite(a)}).Class; c != Replicate {
		t.Errorf("rewritten request classifies as %s", c)
	}
}

func TestRefusalBody(t *testing.T) {
	var got struct {
		Error struct {
			RootCause []struct{ Type, Reason string } `json:"root_cause"`
			Type      string                          `json:"type"`
			Reason    string                          `json:"reason"`
		} `json:"error"`
		Status int `json:"status"`
	}
	if err := json.Unmarshal(RefusalBody("mirror mode: no"), &got); err != nil {
		t.Fatal(err)
	}
	if got.Status != 400 || got.Error.Type != "esdr_mirror_mode_exception" || got.Error.Reason != "mirror mode: no" ||
		len(got.Error.RootCause) != 1 || got.Error.RootCause[0].Reason != "mirror mode: no" {
		t.Errorf("RefusalBody = %+v", got)
	}
}

// TestWithBulkIDs: items without an id get one and become creates; everything else —
// other metadata, items with ids, deletes, sources, and their order — is kept.
func TestWithBulkIDs(t *testing.T) {
	in := bulk(
		`{"index":{"_index":"orders","routing":"r1","pipeline":"p"}}`, `{"a":1}`,
		`{"index":{"_index":"orders","_id":"keep"}}`, `{"a":2}`,
		`{"delete":{"_index":"orders","_id":"gone"}}`,
		`{"create":{}}`, `{"a":3}`)
	n := 0
	out, err := WithBulkIDs([]byte(in), func() string { n++; return fmt.Sprintf("esdr-%d", n) })
	if err != nil {
		t.Fatal(err)
	}
	want := bulk(
		`{"create":{"_id":"esdr-1","_index":"orders","pipeline":"p","routing":"r1"}}`, `{"a":1}`,
		`{"index":{"_index":"orders","_id":"keep"}}`, `{"a":2}`,
		`{"delete":{"_index":"orders","_id":"gone"}}`,
		`{"create":{"_id":"esdr-2"}}`, `{"a":3}`)
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if d := Classify(Request{Method: "POST", Path: "/orders/_bulk", ContentType: "application/json", Body: out}); d.Class != Replicate {
		t.Errorf("the rewritten body classifies as %s, want replicate", d.Class)
	}
}
