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

// BulkAccepted is what AcceptedBulk read from the active cluster's answer to a _bulk.
type BulkAccepted struct {
	// Body is a _bulk body of the items the active cluster accepted, nil if none.
	Body []byte
	// Items is how many items Body holds.
	Items int
	// Unknown are the items (numbered from 1) whose answer names no status: neither
	// accepted nor refused, their outcome is unknown. They are not in Body.
	Unknown []int
}

// AcceptedBulk returns the items of a _bulk body that the active cluster accepted,
// according to its answer resp, each with the version it gave (versioned.go). Items it refused (a mapping error, a 409 on create, a
// 429 the client will retry) must not reach the standby. An item answered without a
// status (a filter_path that hid it, a malformed answer) is not taken as refused: it is
// listed in Unknown. With whole (the _bulk asked for the documents, update_bulk.go), an
// accepted update item is taken as the index of the document its answer holds. The body
// was checked by Classify; resp is the active cluster's 200 answer. An answer that
// cannot be matched item by item is an error.
func AcceptedBulk(body, resp []byte, whole bool) (BulkAccepted, error) {
	return acceptedBulk(body, nil, resp, whole)
}

// acceptedBulk is AcceptedBulk with the body's action lines as Classify read them
// (Decision.actions), or nil to read them here.
func acceptedBulk(body []byte, actions []bulkAction, resp []byte, whole bool) (BulkAccepted, error) {
	items, err := itemAnswers(resp)
	if err != nil {
		return BulkAccepted{}, err
	}
	var out bytes.Buffer
	out.Grow(len(body) + len(body)/8) // the accepted items, each with its version
	var acc BulkAccepted
	i := 0
	for len(body) > 0 {
		action := nextLine(&body)
		if len(bytes.TrimSpace(action)) == 0 {
			continue
		}
		op, _, err := actionAt(actions, i, action)
		if err != nil {
			return BulkAccepted{}, fmt.Errorf("mirror: _bulk item %d: %w", i+1, err)
		}
		var source []byte
		if op != "delete" {
			source = nextLine(&body)
		}
		if i >= len(items) {
			return BulkAccepted{}, fmt.Errorf("mirror: _bulk answer has %d items for more sent", len(items))
		}
		res, named := items[i][op]
		i++
		if !named || res == nil || res.Status == nil {
			acc.Unknown = append(acc.Unknown, i)
			continue
		}
		method := http.MethodPut
		if op == "delete" {
			method = http.MethodDelete
		}
		if !Accepted(method, *res.Status) {
			continue
		}
		acc.Items++
		if op == "update" && whole {
			if line, doc, ok := wholeAnswer(action, source, res.updateAnswer); ok {
				out.Write(line)
				out.WriteByte('\n')
				out.Write(doc)
				out.WriteByte('\n')
				continue
			}
		}
		out.Write(versionedAction(op, action, *res.Status, res.Version))
		out.WriteByte('\n')
		if op != "delete" {
			out.Write(source)
			out.WriteByte('\n')
		}
	}
	if i != len(items) {
		return BulkAccepted{}, fmt.Errorf("mirror: _bulk answer has %d items for %d sent", len(items), i)
	}
	if acc.Items > 0 {
		acc.Body = out.Bytes()
	}
	return acc, nil
}

// itemAnswer is what the journal needs of one _bulk item's answer: its status and
// version, and for an update asked for its document, the document (updateAnswer).
type itemAnswer struct {
	Status *int `json:"status"`
	updateAnswer
}

// itemAnswers reads the items of a _bulk answer, by item and action, in one pass
// (scanItemAnswers, else encoding/json into the same types). An item of another shape
// (a status that is not a number) fails that pass for the whole answer: the answer is
// then read item by item, and only such an item's outcome is unknown (nil); an item
// whose document cannot be read keeps its status and version.
func itemAnswers(resp []byte) ([]map[string]*itemAnswer, error) {
	if items, ok := scanItemAnswers(resp); ok {
		return items, nil
	}
	var typed struct {
		Items []map[string]*itemAnswer `json:"items"`
	}
	if json.Unmarshal(resp, &typed) == nil {
		return typed.Items, nil
	}
	var raw struct {
		Items []map[string]json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(resp, &raw); err != nil {
		return nil, fmt.Errorf("mirror: unreadable _bulk answer: %w", err)
	}
	out := make([]map[string]*itemAnswer, len(raw.Items))
	for i, item := range raw.Items {
		out[i] = make(map[string]*itemAnswer, len(item))
		for op, r := range item {
			var res struct {
				Status  *int   `json:"status"`
				Version *int64 `json:"_version"`
			}
			if json.Unmarshal(r, &res) != nil {
				out[i][op] = nil
				continue
			}
			a := &itemAnswer{Status: res.Status}
			if json.Unmarshal(r, &a.updateAnswer) != nil {
				a.updateAnswer = updateAnswer{} // no document: the update stays partial
			}
			a.Version = res.Version
			out[i][op] = a
		}
	}
	return out, nil
}
