package mirror

import (
	"fmt"
	"strings"
	"testing"
)

func TestAcceptedBulk(t *testing.T) {
	body := strings.Join([]string{
		`{"index":{"_index":"o","_id":"1"}}`, `{"n":1}`,
		`{"create":{"_index":"o","_id":"2"}}`, `{"n":2}`, // 409: already there on the active
		`{"delete":{"_index":"o","_id":"3"}}`,             // 404: gone on the active, so gone on the standby
		`{"index":{"_index":"o","_id":"4"}}`, `{"n":"x"}`, // 400: mapping error
		`{"update":{"_index":"o","_id":"5"}}`, `{"doc":{"n":5}}`,
		`{"index":{"_index":"o","_id":"6"}}`, `{"n":6}`, // 429: the client retries it
	}, "\n") + "\n"
	resp := `{"took":3,"errors":true,"items":[
		{"index":{"_id":"1","status":201}},
		{"create":{"_id":"2","status":409,"error":{"type":"version_conflict_engine_exception"}}},
		{"delete":{"_id":"3","status":404,"result":"not_found"}},
		{"index":{"_id":"4","status":400,"error":{"type":"mapper_parsing_exception"}}},
		{"update":{"_id":"5","status":200}},
		{"index":{"_id":"6","status":429,"error":{"type":"es_rejected_execution_exception"}}}]}`
	acc, err := AcceptedBulk([]byte(body), []byte(resp), false)
	if err != nil {
		t.Fatal(err)
	}
	got, n := acc.Body, acc.Items
	want := strings.Join([]string{
		`{"index":{"_index":"o","_id":"1"}}`, `{"n":1}`,
		`{"delete":{"_index":"o","_id":"3"}}`,
		`{"update":{"_index":"o","_id":"5"}}`, `{"doc":{"n":5}}`,
	}, "\n") + "\n"
	if n != 3 || string(got) != want {
		t.Errorf("AcceptedBulk = %d items:\n%s\nwant 3:\n%s", n, got, want)
	}

	if acc, err := AcceptedBulk([]byte(`{"index":{"_index":"o","_id":"1"}}`+"\n{}\n"),
		[]byte(`{"errors":true,"items":[{"index":{"status":400}}]}`), false); err != nil || acc.Items != 0 || acc.Body != nil || acc.Unknown != nil {
		t.Errorf("nothing accepted: %+v %v", acc, err)
	}
	if _, err := AcceptedBulk([]byte(body), []byte(`{"items":[]}`), false); err == nil {
		t.Error("an answer with fewer items than sent was accepted")
	}
}

func TestAcceptedBulkWithoutStatus(t *testing.T) {
	body := bulk(`{"index":{"_index":"o","_id":"1"}}`, `{"n":1}`, `{"delete":{"_index":"o","_id":"2"}}`)
	cases := []struct {
		name, resp string
		items      int
		unknown    []int
	}{
		{"items hidden by filter_path=items.*._id are unknown, not refused",
			`{"items":[{"index":{"_id":"1"}},{"delete":{"_id":"2"}}]}`, 0, []int{1, 2}},
		{"an item answered under another action is unknown",
			`{"items":[{"create":{"_id":"1","status":201}},{"delete":{"status":200}}]}`, 1, []int{1}},
		{"an item whose answer is not an object is unknown",
			`{"items":[{"index":"created"},{"delete":{"status":404}}]}`, 1, []int{1}},
		{"items with a status are kept beside the unknown ones",
			`{"items":[{"index":{"status":201}},{"delete":{}}]}`, 1, []int{2}},
		{"an item whose status is not a number is unknown, its neighbour kept",
			`{"items":[{"index":{"status":"201"}},{"delete":{"status":200}}]}`, 1, []int{1}},
		{"an item with a status and an odd field elsewhere is kept",
			`{"items":[{"index":{"status":201,"_version":3,"result":7,"get":[]}},{"delete":{"status":200}}]}`, 2, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			acc, err := AcceptedBulk([]byte(body), []byte(c.resp), false)
			if err != nil {
				t.Fatal(err)
			}
			if acc.Items != c.items || fmt.Sprint(acc.Unknown) != fmt.Sprint(c.unknown) {
				t.Errorf("%d accepted, unknown %v; want %d, unknown %v", acc.Items, acc.Unknown, c.items, c.unknown)
			}
		})
	}
	if _, err := AcceptedBulk([]byte(body), []byte(`{"took":3}`), false); err == nil {
		t.Error("an answer without items (filter_path=took) was read as nothing accepted")
	}
}
