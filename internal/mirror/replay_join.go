package mirror

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
)

// Consecutive records that can go as one _bulk are replayed as one: document operations
// (docOp) become items, and _bulk records sent to the same target with the same
// parameters add their items as they are. Under _bulk load each record alone cost one
// round trip to the standby, and the lag it built bounds how late a versioned delete may
// replay (index.gc_deletes, versioned.go). Items keep their order within the request, so
// a document's writes still reach it in journal order.

// runKey is the request a record joins when it is replayed with its neighbours:
// "/_bulk" for a document operation, its own target for a _bulk record (with the
// parameters the replay keeps), "" for a record that goes alone.
func runKey(rec Record) string {
	if _, _, ok := docOp(rec); ok {
		return "/_bulk"
	}
	if isBulkPath(rec.Path) && (rec.Method == http.MethodPost || rec.Method == http.MethodPut) {
		if _, ok := bulkItems(rec.Body); ok {
			return replayTarget(rec)
		}
	}
	return ""
}

// bulkItems counts the items of a _bulk body: an action line, and a source line unless
// the action is a delete. ok is false for a body it cannot read so.
func bulkItems(body []byte) (int, bool) {
	n := 0
	for len(body) > 0 {
		action := bytes.TrimSpace(nextLine(&body))
		if len(action) == 0 {
			continue
		}
		op, ok := actionName(action)
		if !ok {
			return 0, false
		}
		n++
		if op != "delete" {
			if len(body) == 0 {
				return 0, false
			}
			nextLine(&body)
		}
	}
	return n, n > 0
}

// actionName is the first key of an action line, {"index": ...}.
func actionName(line []byte) (string, bool) {
	if len(line) == 0 || line[0] != '{' {
		return "", false
	}
	rest := bytes.TrimLeft(line[1:], " \t")
	if len(rest) == 0 || rest[0] != '"' {
		return "", false
	}
	end := bytes.IndexByte(rest[1:], '"')
	if end < 0 {
		return "", false
	}
	switch op := string(rest[1 : 1+end]); op {
	case "index", "create", "update", "delete":
		return op, true
	}
	return "", false
}

// joinedBody writes recs, which share a runKey, as one _bulk body, and returns for each
// item the index in recs of the record it came from.
func joinedBody(recs []Record) (*bytes.Buffer, []int, error) {
	var body bytes.Buffer
	var owners []int
	for i, rec := range recs {
		if op, meta, ok := docOp(rec); ok {
			line, err := json.Marshal(map[string]bulkMeta{op: meta})
			if err != nil {
				return nil, nil, fmt.Errorf("mirror: seq %d: %w", rec.Seq, err)
			}
			body.Write(line)
			body.WriteByte('\n')
			if op != "delete" {
				if bytes.IndexByte(rec.Body, '\n') < 0 {
					body.Write(rec.Body)
				} else if err := json.Compact(&body, rec.Body); err != nil {
					return nil, nil, fmt.Errorf("mirror: seq %d: body cannot join a _bulk: %w", rec.Seq, err)
				}
				body.WriteByte('\n')
			}
			owners = append(owners, i)
			continue
		}
		n, ok := bulkItems(rec.Body)
		if !ok {
			return nil, nil, fmt.Errorf("mirror: seq %d (%s %s) cannot join a _bulk", rec.Seq, rec.Method, rec.Path)
		}
		body.Write(rec.Body)
		if !bytes.HasSuffix(rec.Body, []byte{'\n'}) {
			body.WriteByte('\n')
		}
		for range n {
			owners = append(owners, i)
		}
	}
	return &body, owners, nil
}
