package mirror

import (
	"testing"
)

func TestVersionedDoc(t *testing.T) {
	ok := []byte(`{"_index":"o","_id":"1","_version":7,"result":"updated"}`)
	for _, tc := range []struct {
		name         string
		method, path string
		query        string
		status       int
		resp         []byte
		wantQuery    string
	}{
		{"an index replays with the version the active cluster gave",
			"PUT", "/o/_doc/1", "", 200, ok, "version=7&version_type=external_gte"},
		{"the client's sequence numbers and own versioning give way to it",
			"PUT", "/o/_doc/1", "if_seq_no=3&if_primary_term=1&routing=r&version=2&version_type=external", 200, ok,
			"routing=r&version=7&version_type=external_gte"},
		{"a delete replays with its version",
			"DELETE", "/o/_doc/1", "", 200, []byte(`{"_version":8,"result":"deleted"}`), "version=8&version_type=external_gte"},
		{"a delete of a document the active cluster did not hold stays plain",
			"DELETE", "/o/_doc/1", "", 404, []byte(`{"_version":1,"result":"not_found"}`), ""},
		{"a create stays a create, without a version",
			"PUT", "/o/_create/1", "", 201, []byte(`{"_version":1,"result":"created"}`), ""},
		{"an index with op_type=create is a create",
			"PUT", "/o/_doc/1", "op_type=create", 201, []byte(`{"_version":1}`), "op_type=create"},
		{"an update stays a partial update",
			"POST", "/o/_update/1", "", 200, ok, ""},
		{"an answer without a version leaves the record as it was",
			"PUT", "/o/_doc/1", "routing=r", 200, []byte(`{"result":"updated"}`), "routing=r"},
		{"an answer that is not JSON leaves the record as it was",
			"PUT", "/o/_doc/1", "", 200, []byte(`<html>`), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := versionedDoc(Record{Method: tc.method, Path: tc.path, Query: tc.query, Body: []byte(`{"n":1}`)}, tc.status, tc.resp)
			if rec.Query != tc.wantQuery || rec.Path != tc.path || rec.Method != tc.method {
				t.Errorf("got %s %s?%s, want the query %q", rec.Method, rec.Path, rec.Query, tc.wantQuery)
			}
		})
	}
}

func TestVersionedAction(t *testing.T) {
	v := func(n int64) *int64 { return &n }
	for _, tc := range []struct {
		name    string
		op      string
		line    string
		status  int
		version *int64
		want    string
	}{
		{"an index item gets the version, spliced into its metadata",
			"index", `{"index":{"_index":"o","_id":"1"}}`, 200, v(4), `{"index":{"version":4,"version_type":"external_gte","_index":"o","_id":"1"}}`},
		{"an index item with spaces and empty metadata",
			"index", `{ "index" : { } }`, 201, v(1), `{ "index" : {"version":1,"version_type":"external_gte" } }`},
		{"an index item's sequence numbers and versioning are replaced",
			"index", `{"index":{"_id":"1","if_seq_no":5,"if_primary_term":1,"version":2,"version_type":"external"}}`, 200, v(9),
			`{"index":{"_id":"1","version":9,"version_type":"external_gte"}}`},
		{"a delete item gets the version",
			"delete", `{"delete":{"_id":"1"}}`, 200, v(3), `{"delete":{"version":3,"version_type":"external_gte","_id":"1"}}`},
		{"a delete item answered 404 stays plain",
			"delete", `{"delete":{"_id":"1"}}`, 404, v(1), `{"delete":{"_id":"1"}}`},
		{"a create item stays as it was",
			"create", `{"create":{"_id":"1"}}`, 201, v(1), `{"create":{"_id":"1"}}`},
		{"an update item keeps its line",
			"update", `{"update":{"_id":"1","retry_on_conflict":3}}`, 200, v(5), `{"update":{"_id":"1","retry_on_conflict":3}}`},
		{"an update item loses the active cluster's sequence numbers",
			"update", `{"update":{"_id":"1","if_seq_no":5,"if_primary_term":1}}`, 200, v(5), `{"update":{"_id":"1"}}`},
		{"an item answered without a version stays as it was",
			"index", `{"index":{"_id":"1"}}`, 200, nil, `{"index":{"_id":"1"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(versionedAction(tc.op, []byte(tc.line), tc.status, tc.version)); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestAcceptedBulkCarriesVersions(t *testing.T) {
	body := bulk(`{"index":{"_index":"o","_id":"1"}}`, `{"n":1}`, `{"create":{"_index":"o","_id":"2"}}`, `{"n":2}`,
		`{"delete":{"_index":"o","_id":"3"}}`, `{"index":{"_index":"o","_id":"4"}}`, `{"n":"x"}`)
	resp := `{"errors":true,"items":[{"index":{"_id":"1","_version":6,"status":200}},{"create":{"_id":"2","_version":1,"status":201}},` +
		`{"delete":{"_id":"3","_version":2,"status":200}},{"index":{"_id":"4","status":400,"error":{"type":"mapper_parsing_exception"}}}]}`
	acc, err := AcceptedBulk([]byte(body), []byte(resp), false)
	if err != nil {
		t.Fatal(err)
	}
	want := bulk(`{"index":{"version":6,"version_type":"external_gte","_index":"o","_id":"1"}}`, `{"n":1}`,
		`{"create":{"_index":"o","_id":"2"}}`, `{"n":2}`, `{"delete":{"version":2,"version_type":"external_gte","_index":"o","_id":"3"}}`)
	if string(acc.Body) != want || acc.Items != 3 {
		t.Errorf("got %d items:\n%s\nwant\n%s", acc.Items, acc.Body, want)
	}
}
