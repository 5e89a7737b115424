package mirror

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestABulksActionsReadOnceServeLocksAndAnswers: the action lines Classify read serve
// the document locks and the matching of the answer's items exactly as reading them
// again would, blank lines, deletes (no source line) and a default index included.
func TestABulksActionsReadOnceServeLocksAndAnswers(t *testing.T) {
	for _, tc := range []struct {
		name, path, body string
	}{
		{"index and create", "/_bulk", `{"index":{"_index":"a","_id":"1"}}` + "\n" + `{"n":1}` + "\n" + `{"create":{"_index":"b","_id":"2"}}` + "\n" + `{"n":2}` + "\n"},
		{"deletes between", "/_bulk", `{"delete":{"_index":"a","_id":"1"}}` + "\n" + `{"index":{"_index":"a","_id":"2"}}` + "\n" + `{"n":2}` + "\n" + `{"delete":{"_index":"b","_id":"3"}}` + "\n"},
		{"blank lines", "/_bulk", "\n" + `{"index":{"_index":"a","_id":"1"}}` + "\n" + `{"n":1}` + "\n\n \n" + `{"update":{"_index":"a","_id":"1"}}` + "\n" + `{"doc":{"n":3}}` + "\n"},
		{"default index", "/orders/_bulk", `{"index":{"_id":"1"}}` + "\n" + `{"n":1}` + "\n" + `{"delete":{"_index":"other","_id":"2"}}` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(tc.body)
			dec := Classify(Request{Method: "POST", Path: tc.path, ContentType: "application/x-ndjson", Body: body})
			if dec.Class != Replicate || len(dec.actions) == 0 {
				t.Fatalf("Classify: %s (%s), %d actions", dec.Class, dec.Reason, len(dec.actions))
			}
			idx1, once := lockTarget("POST", tc.path, body, dec.actions)
			idx2, again := lockTarget("POST", tc.path, body, nil)
			if idx1 != idx2 || !reflect.DeepEqual(once, again) {
				t.Errorf("locks from the actions read once %q %v, read again %q %v", idx1, once, idx2, again)
			}
			var items []string
			for i, a := range dec.actions {
				status := 201
				if i%2 == 1 {
					status = 409 // refused: left out of the journal
				}
				items = append(items, fmt.Sprintf(`{%q:{"_id":%q,"_version":%d,"status":%d}}`, a.op, a.meta.ID, i+1, status))
			}
			resp := []byte(`{"errors":true,"items":[` + strings.Join(items, ",") + `]}`)
			accOnce, err1 := acceptedBulk(body, dec.actions, resp, false)
			accAgain, err2 := acceptedBulk(body, nil, resp, false)
			if err1 != nil || err2 != nil || !reflect.DeepEqual(accOnce, accAgain) {
				t.Errorf("accepted from the actions read once %+v (%v), read again %+v (%v)", accOnce, err1, accAgain, err2)
			}
		})
	}
}
