package mirror

import (
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
	got, n, err := AcceptedBulk([]byte(body), []byte(resp))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		`{"index":{"_index":"o","_id":"1"}}`, `{"n":1}`,
		`{"delete":{"_index":"o","_id":"3"}}`,
		`{"update":{"_index":"o","_id":"5"}}`, `{"doc":{"n":5}}`,
	}, "\n") + "\n"
	if n != 3 || string(got) != want {
		t.Errorf("AcceptedBulk = %d items:\n%s\nwant 3:\n%s", n, got, want)
	}

	if got, n, err := AcceptedBulk([]byte(`{"index":{"_index":"o","_id":"1"}}`+"\n{}\n"),
		[]byte(`{"errors":true,"items":[{"index":{"status":400}}]}`)); err != nil || n != 0 || got != nil {
		t.Errorf("nothing accepted: %q %d %v", got, n, err)
	}
	if _, _, err := AcceptedBulk([]byte(body), []byte(`{"items":[]}`)); err == nil {
		t.Error("an answer with fewer items than sent was accepted")
	}
}
