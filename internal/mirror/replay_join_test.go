package mirror

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/esdr/esdr/internal/esclient"
)

// TestConsecutiveBulksReplayAsOne: _bulk records for the same target join each other,
// and document operations join a root _bulk; another index, other parameters or a
// record that is no _bulk end the run.
func TestConsecutiveBulksReplayAsOne(t *testing.T) {
	bulk := func(path, query string) Record {
		return Record{Method: "POST", Path: path, Query: query, Body: []byte("{\"index\":{\"_id\":\"1\"}}\n{}\n{\"delete\":{\"_id\":\"2\"}}\n")}
	}
	_, calls := replayed(t, []Record{
		bulk("/orders/_bulk", ""), bulk("/orders/_bulk", "refresh=true"), bulk("/orders/_bulk", ""), // 1-3: refresh is dropped
		bulk("/other/_bulk", ""),            // 4
		bulk("/orders/_bulk", "pipeline=p"), // 5
		doc(6), bulk("/_bulk", ""), doc(8),  // 6-8: items of one root _bulk
		{Method: "PUT", Path: "/orders", Body: []byte(`{}`)}, // 9 alone
		bulk("/_bulk", ""), // 10
	})
	if want := "[[1 2 3] [4] [5] [6 7 8] [9] [10]]"; calls != want {
		t.Errorf("Apply calls %s, want %s", calls, want)
	}
}

// TestAJoinedBulkNamesTheRecordOfARefusedItem: the standby's answer is read item by
// item, and a refusal names the record that carried the item.
func TestAJoinedBulkNamesTheRecordOfARefusedItem(t *testing.T) {
	var sent string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		sent = r.URL.Path + "\n" + string(b)
		_, _ = io.WriteString(w, `{"errors":true,"items":[{"index":{"status":201}},{"delete":{"status":404}},`+
			`{"index":{"status":400,"error":{"type":"mapper_parsing_exception","reason":"bad n"}}},{"index":{"status":200}}]}`)
	}))
	defer srv.Close()
	c, err := esclient.New([]string{srv.URL}, esclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	recs := []Record{
		{Seq: 11, Method: "POST", Path: "/orders/_bulk", Body: []byte("{\"index\":{\"_id\":\"1\"}}\n{}\n{\"delete\":{\"_id\":\"2\"}}\n")},
		{Seq: 12, Method: "POST", Path: "/orders/_bulk", Body: []byte("{\"index\":{\"_id\":\"3\"}}\n{\"n\":\"x\"}\n{\"index\":{\"_id\":\"4\"}}\n{}")},
	}
	err = NewHTTPApplier(c).Apply(context.Background(), recs)
	var re *RefusedError
	if !errors.As(err, &re) || re.Seq != 12 || !strings.Contains(re.Reason, "item 3 (index): mapper_parsing_exception") {
		t.Errorf("Apply = %v, want a refusal of seq 12", err)
	}
	if want := "/orders/_bulk\n{\"index\":{\"_id\":\"1\"}}\n{}\n{\"delete\":{\"_id\":\"2\"}}\n{\"index\":{\"_id\":\"3\"}}\n{\"n\":\"x\"}\n{\"index\":{\"_id\":\"4\"}}\n{}\n"; sent != want {
		t.Errorf("sent %q\nwant %q", sent, want)
	}
}
