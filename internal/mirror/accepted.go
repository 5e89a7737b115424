package mirror

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
)

// Accepted says whether the active cluster's answer to a replicated write means it holds
// the write, so that it must be journaled: any 2xx, and a delete answered 404 (the
// document is gone on the active cluster, so it must be gone on the standby too).
func Accepted(method string, status int) bool {
	return status >= 200 && status < 300 || status == http.StatusNotFound && method == http.MethodDelete
}

// AcceptedBulk returns the items of a _bulk body that the active cluster accepted,
// according to its answer resp, as a new _bulk body, and how many there are. Items it
// refused (a mapping error, a 409 on create, a 429 the client will retry) must not reach
// the standby. The body was checked by Classify; resp is the active cluster's 200 answer.
func AcceptedBulk(body, resp []byte) ([]byte, int, error) {
	var br struct {
		Errors bool                         `json:"errors"`
		Items  []map[string]json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(resp, &br); err != nil {
		return nil, 0, fmt.Errorf("mirror: unreadable _bulk answer: %w", err)
	}
	var out bytes.Buffer
	kept, i := 0, 0
	for len(body) > 0 {
		action := nextLine(&body)
		if len(bytes.TrimSpace(action)) == 0 {
			continue
		}
		op, _, err := parseAction(action)
		if err != nil {
			return nil, 0, fmt.Errorf("mirror: _bulk item %d: %w", i+1, err)
		}
		var source []byte
		if op != "delete" {
			source = nextLine(&body)
		}
		if i >= len(br.Items) {
			return nil, 0, fmt.Errorf("mirror: _bulk answer has %d items for more sent", len(br.Items))
		}
		var res struct {
			Status int `json:"status"`
		}
		_ = json.Unmarshal(br.Items[i][op], &res)
		i++
		method := http.MethodPut
		if op == "delete" {
			method = http.MethodDelete
		}
		if !Accepted(method, res.Status) {
			continue
		}
		kept++
		out.Write(action)
		out.WriteByte('\n')
		if op != "delete" {
			out.Write(source)
			out.WriteByte('\n')
		}
	}
	if i != len(br.Items) {
		return nil, 0, fmt.Errorf("mirror: _bulk answer has %d items for %d sent", len(br.Items), i)
	}
	if kept == 0 {
		return nil, 0, nil
	}
	return out.Bytes(), kept, nil
}
