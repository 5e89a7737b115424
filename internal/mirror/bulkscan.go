package mirror

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// checkBulk applies the policy to a _bulk body: it can be mirrored as-is when every item
// names its document (index, create and delete with an _id; update with an _id and a
// partial document). One item that cannot be mirrored refuses the whole request, before
// anything reaches the active cluster. defaultIndex is the index of /{index}/_bulk.
//
// The body is bounded by the caller (the proxy's request limit); this reads it once,
// line by line, decoding only action lines and update sources.
func checkBulk(body []byte, defaultIndex string) Decision {
	items := 0
	for len(body) > 0 {
		line := nextLine(&body)
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		items++
		op, meta, err := parseAction(line)
		if err != nil {
			return refuse("_bulk item %d: %v", items, err)
		}
		if meta.Index == "" && defaultIndex == "" {
			return refuse("_bulk item %d (%s) has no _index", items, op)
		}
		if meta.ID == "" {
			return refuse("_bulk item %d (%s) has no _id: every item needs an explicit _id in mirror mode, "+
				"so that both clusters store the same document (esdr assigns ids only for POST /{index}/_doc)", items, op)
		}
		if op == "delete" {
			continue
		}
		src := nextLine(&body)
		if op == "update" {
			if why := scriptedUpdate(src); why != "" {
				return refuse("_bulk item %d (update %s): %s", items, meta.ID, why)
			}
		}
	}
	if items == 0 {
		return refuse("empty _bulk body")
	}
	return Decision{Class: Replicate}
}

// bulkMeta is the part of a _bulk action line the policy and the applier need.
type bulkMeta struct {
	Index   string `json:"_index,omitempty"`
	ID      string `json:"_id,omitempty"`
	Routing string `json:"routing,omitempty"`
}

// parseAction decodes an action line {"<op>":{...}}.
func parseAction(line []byte) (string, bulkMeta, error) {
	var action map[string]json.RawMessage
	if err := json.Unmarshal(line, &action); err != nil {
		return "", bulkMeta{}, fmt.Errorf("unreadable action line: %w", err)
	}
	if len(action) != 1 {
		return "", bulkMeta{}, errors.New("an action line must have exactly one action")
	}
	var op string
	var raw json.RawMessage
	for op, raw = range action {
	}
	switch op {
	case "index", "create", "update", "delete":
	default:
		return "", bulkMeta{}, fmt.Errorf("unknown action %q", op)
	}
	var m struct {
		Index string          `json:"_index"`
		ID    json.RawMessage `json:"_id"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", bulkMeta{}, fmt.Errorf("unreadable %s metadata: %w", op, err)
	}
	meta := bulkMeta{Index: m.Index}
	if len(m.ID) > 0 && string(m.ID) != "null" {
		if err := json.Unmarshal(m.ID, &meta.ID); err != nil {
			return "", bulkMeta{}, fmt.Errorf("%s _id %s: give ids as strings", op, m.ID)
		}
	}
	return op, meta, nil
}

// nextLine cuts the first line (without its newline) off *b.
func nextLine(b *[]byte) []byte {
	line, rest, _ := bytes.Cut(*b, []byte{'\n'})
	*b = rest
	return bytes.TrimSuffix(line, []byte{'\r'})
}
