package mirror

import (
	"encoding/json"
	"reflect"
	"testing"
)

// An Elasticsearch 7 / OpenSearch 2 _bulk answer: index, create, update asked for its
// document, delete; one item refused.
const bulkAnswerSample = `{"took":30,"errors":true,"items":[` +
	`{"index":{"_index":"idx","_type":"_doc","_id":"1","_version":1,"result":"created","_shards":{"total":2,"successful":1,"failed":0},"_seq_no":0,"_primary_term":1,"status":201}},` +
	`{"create":{"_index":"idx","_id":"2","status":409,"error":{"type":"version_conflict_engine_exception","reason":"[2]: version conflict","index":"idx"}}},` +
	`{"update":{"_index":"idx","_id":"3","_version":4,"result":"updated","get":{"_seq_no":7,"_primary_term":1,"found":true,"_source":{"n":3,"s":"caf\u00e9"}},"status":200}},` +
	`{"delete":{"_index":"idx","_id":"4","_version":2,"result":"not_found","status":404}}]}`

func TestABulkAnswerIsReadInOnePassAsEncodingJSONReadsIt(t *testing.T) {
	got, ok := scanItemAnswers([]byte(bulkAnswerSample))
	if !ok {
		t.Fatal("the one-pass read gave up on a plain answer")
	}
	want := typedItemAnswers(t, []byte(bulkAnswerSample))
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("one pass %s; encoding/json %s", dumpItems(got), dumpItems(want))
	}
	if *got[2]["update"].Status != 200 || string(got[2]["update"].Get.Source) != `{"n":3,"s":"caf\u00e9"}` {
		t.Fatalf("update item: %s", dumpItems(got[2:3]))
	}
}

func TestTheOnePassReadsLeaveToEncodingJSONWhatItMightReadOtherwise(t *testing.T) {
	for _, tc := range []struct{ name, answer string }{
		{"a duplicate name", `{"items":[{"index":{"status":201,"status":500}}]}`},
		{"a name matched only case-insensitively", `{"items":[{"index":{"Status":201}}]}`},
		{"a dotless i that encoding/json folds to I", `{"ıtems":[]}`},
		{"a status that is not an integer", `{"items":[{"index":{"status":201.0}}]}`},
		{"a status given as a string", `{"items":[{"index":{"status":"201"}}]}`},
		{"invalid UTF-8", "{\"items\":[{\"index\":{\"_id\":\"\xff\",\"status\":201}}]}"},
		{"an answer that is not an object", `null`},
		{"something after the answer", `{"items":[]} x`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if items, ok := scanItemAnswers([]byte(tc.answer)); ok {
				t.Fatalf("read %s; want it left to encoding/json", dumpItems(items))
			}
		})
	}
	for _, line := range []string{
		`{"index":{"_index":"a","_index":"b"}}`,
		`{"index":{"_ID":"1"}}`,
		`{"index":{"_id":"\u0031"}}`,
		`{"index":{"_id":1}}`,
		`{"index":{"_id":"1"},"create":{}}`,
	} {
		if op, meta, ok := scanAction([]byte(line)); ok {
			t.Errorf("%s: read %s %+v; want it left to encoding/json", line, op, meta)
		}
	}
	if op, meta, ok := scanAction([]byte(`{"index":{"_index":"idx","_id":"7","routing":"r"}}`)); !ok || op != "index" || meta != (bulkMeta{Index: "idx", ID: "7"}) {
		t.Errorf("a plain action line: %q %+v %v", op, meta, ok)
	}
}

// FuzzScanItemAnswersReadsAsEncodingJSON: wherever the one-pass read of a _bulk answer
// does not give up, encoding/json reads the same items from it, without an error.
func FuzzScanItemAnswersReadsAsEncodingJSON(f *testing.F) {
	for _, seed := range []string{
		bulkAnswerSample,
		`{"items":[]}`, `{"items":null}`, `{"items":[null,{"index":null}]}`, `{}`,
		`{"items":[{"index":{"status":null,"_version":null,"result":null,"get":null}}]}`,
		`{"items":[{"update":{"status":200,"get":{"_source":null}}}]}`,
		`{"items":[{"update":{"status":200,"get":{"_source":[1,2]},"_version":-3}}]}`,
		`{"it\u0065ms":[{"ind\u0065x":{"st\u0061tus":201,"result":"cr\u0065ated"}}]}`,
		`{"items":[{"index":{"STATUS":201}}]}`, `{"ITEMS":[]}`,
		`{"items":[{"index":{"status":1e2}}]}`, `{"items":[{"index":{"status":99999999999999999999}}]}`,
		`{"items":[{"index":{"status":201}},{"index":{"status":201}}],"items":[]}`,
		`{"items":[{"index":{"status":201,"get":[]}}]}`, `{"items":[{"index":5}]}`, `{"items":[7]}`,
		`{"items":{}}`, `[]`, `"x"`, ``,
		`{"items":[{"update":{"status":200,"result":"\ud800"}}]}`,
		`{"items":[{"update":{"status":200,"result":"\ud83d\ude00","st\ud800atus":1}}]}`,
		`{"items":[{"update":{"status":200,"result":"\ud83d\ude00 caf\u00e9"}}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, resp []byte) {
		got, ok := scanItemAnswers(resp)
		if !ok {
			return
		}
		var typed struct {
			Items []map[string]*itemAnswer `json:"items"`
		}
		if err := json.Unmarshal(resp, &typed); err != nil {
			t.Fatalf("%q: one pass read %s; encoding/json: %v", resp, dumpItems(got), err)
		}
		if !reflect.DeepEqual(got, typed.Items) {
			t.Fatalf("%q: one pass %s; encoding/json %s", resp, dumpItems(got), dumpItems(typed.Items))
		}
	})
}

func typedItemAnswers(t *testing.T, resp []byte) []map[string]*itemAnswer {
	t.Helper()
	var typed struct {
		Items []map[string]*itemAnswer `json:"items"`
	}
	if err := json.Unmarshal(resp, &typed); err != nil {
		t.Fatal(err)
	}
	return typed.Items
}

func dumpItems(items []map[string]*itemAnswer) string {
	b, _ := json.Marshal(items)
	return string(b)
}
