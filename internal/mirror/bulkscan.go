package mirror

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// checkBulk applies the policy to a _bulk body: it can be mirrored as-is when every item
// names its document (index, create and delete with an _id; update with an _id and a
// partial document). One item that cannot be mirrored refuses the whole request, before
// anything reaches the active cluster. defaultIndex is the index of /{index}/_bulk.
//
// The body is bounded by the caller (the proxy's request limit); this reads it once,
// line by line, decoding only action lines and update sources.
func checkBulk(body []byte, defaultIndex string) Decision {
	items, missing := 0, 0
	var actions []bulkAction
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
		actions = append(actions, bulkAction{op: op, meta: meta})
		if meta.Index == "" && defaultIndex == "" {
			return refuse("_bulk item %d (%s) has no _index", items, op)
		}
		if meta.ID == "" && (op == "update" || op == "delete") {
			return refuse("_bulk item %d (%s) has no _id", items, op)
		}
		if meta.ID == "" {
			missing++
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
	if missing > 0 {
		return Decision{Class: AssignBulkIDs} // the body changes: its actions are read again
	}
	return Decision{Class: Replicate, actions: actions}
}

// WithBulkIDs returns body with an id from newID in every index or create item that
// has none, turned into a create (as for POST /{index}/_doc: it never overwrites, and
// works on data streams). The other metadata and every source line stay as they were.
// body must have passed checkBulk.
func WithBulkIDs(body []byte, newID func() string) ([]byte, error) {
	out := make([]byte, 0, len(body)+64)
	for len(body) > 0 {
		line := nextLine(&body)
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		op, meta, err := parseAction(line)
		if err != nil {
			return nil, err
		}
		if meta.ID == "" && (op == "index" || op == "create") {
			var action map[string]map[string]json.RawMessage
			if err := json.Unmarshal(line, &action); err != nil {
				return nil, fmt.Errorf("_bulk action line: %w", err)
			}
			m := action[op]
			if m == nil {
				m = map[string]json.RawMessage{}
			}
			id, _ := json.Marshal(newID())
			m["_id"] = id
			if line, err = json.Marshal(map[string]any{"create": m}); err != nil {
				return nil, err
			}
		}
		out = append(append(out, line...), '\n')
		if op != "delete" {
			out = append(append(out, nextLine(&body)...), '\n')
		}
	}
	return out, nil
}

// bulkMeta is the part of a _bulk action line the policy and the applier need.
type bulkMeta struct {
	Index       string `json:"_index,omitempty"`
	ID          string `json:"_id,omitempty"`
	Routing     string `json:"routing,omitempty"`
	Version     *int64 `json:"version,omitempty"`
	VersionType string `json:"version_type,omitempty"`
	Pipeline    string `json:"pipeline,omitempty"`
}

// bulkAction is one action line of a _bulk body, decoded.
type bulkAction struct {
	op   string
	meta bulkMeta
}

// actionAt returns item i's action (numbered from 0) from actions, the body's as
// checkBulk read them, or decodes line when there are none.
func actionAt(actions []bulkAction, i int, line []byte) (string, bulkMeta, error) {
	if i < len(actions) {
		return actions[i].op, actions[i].meta, nil
	}
	return parseAction(line)
}

// actionMeta is the part of an action's metadata parseAction reads.
type actionMeta struct {
	Index string          `json:"_index"`
	ID    json.RawMessage `json:"_id"`
}

// parseAction decodes an action line {"<op>":{...}}: in one pass when the line is a
// well-formed single action (scanAction, else encoding/json), else as readAction does,
// for its error.
func parseAction(line []byte) (string, bulkMeta, error) {
	if op, meta, ok := scanAction(line); ok {
		return op, meta, nil
	}
	var action map[string]actionMeta
	if json.Unmarshal(line, &action) != nil || len(action) != 1 {
		return readAction(line)
	}
	for op, m := range action {
		switch op {
		case "index", "create", "update", "delete":
		default:
			return readAction(line)
		}
		meta := bulkMeta{Index: m.Index}
		switch id := m.ID; {
		case len(id) == 0 || string(id) == "null":
		case len(id) >= 2 && id[0] == '"' && bytes.IndexByte(id, '\\') < 0 && utf8.Valid(id):
			meta.ID = string(id[1 : len(id)-1]) // a valid JSON string without escapes is its content
		default:
			return readAction(line)
		}
		return op, meta, nil
	}
	return readAction(line) // not reached: one action
}

// readAction is parseAction step by step: the action, then its metadata, then its id,
// each with its own error.
func readAction(line []byte) (string, bulkMeta, error) {
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
	var m actionMeta
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
