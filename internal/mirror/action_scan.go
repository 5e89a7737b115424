package mirror

// scanAction reads an action line {"<op>":{...}} as parseAction's encoding/json pass
// does, in one pass of jsontext (jsonscan.go); ok is false where it gives up (an escaped
// or non-string id, a second action, anything encoding/json might read otherwise), and
// parseAction reads the line with encoding/json instead.
func scanAction(line []byte) (op string, meta bulkMeta, ok bool) {
	r := readJSON(line)
	defer r.release()
	if !r.delim('{') {
		return "", bulkMeta{}, false
	}
	name, ok := r.name()
	if !ok {
		return "", bulkMeta{}, false
	}
	switch op = actionString(name); op {
	case "index", "create", "update", "delete":
	default:
		return "", bulkMeta{}, false
	}
	switch r.dec.PeekKind() {
	case 'n':
		ok = r.dec.SkipValue() == nil
	case '{':
		meta, ok = r.actionMeta()
	default:
		ok = false
	}
	if !ok || !r.delim('}') || !r.done() {
		return "", bulkMeta{}, false
	}
	return op, meta, true
}

// actionMeta reads an action's metadata: its _index and an _id given as a string
// without escapes; other names are passed over.
func (r *jsonReader) actionMeta() (bulkMeta, bool) {
	var m bulkMeta
	r.delim('{')
	for !r.end() {
		name, ok := r.name()
		if !ok {
			return m, false
		}
		switch string(name) {
		case "_index":
			m.Index, ok = r.indexName()
		case "_id":
			v, err := r.dec.ReadValue()
			switch {
			case err != nil:
				ok = false
			case v.Kind() == 'n':
			case v.Kind() == '"' && !hasEscape(v):
				m.ID = string(v[1 : len(v)-1])
			default:
				ok = false
			}
		default:
			ok = !foldsTo(name, "_INDEX", "_ID") && r.dec.SkipValue() == nil
		}
		if !ok {
			return m, false
		}
	}
	return m, r.delim('}')
}

// indexName reads an index name (null: ""); the reader keeps the last one, as the lines
// of a _bulk mostly name the same index.
func (r *jsonReader) indexName() (string, bool) {
	s, ok := r.stringValue()
	if !ok {
		return "", false
	}
	if string(s) != r.lastIndex {
		r.lastIndex = string(s)
	}
	return r.lastIndex, true
}
