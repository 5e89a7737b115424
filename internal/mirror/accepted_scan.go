package mirror

// scanItemAnswers reads the items of a _bulk answer as encoding/json reads them into
// []map[string]*itemAnswer, in one pass of jsontext (jsonscan.go); ok is false where it
// gives up, and itemAnswers reads the answer with encoding/json instead.
func scanItemAnswers(resp []byte) (items []map[string]*itemAnswer, ok bool) {
	r := readJSON(resp)
	defer r.release()
	if !r.delim('{') {
		return nil, false
	}
	for !r.end() {
		name, ok := r.name()
		switch {
		case !ok || foldsTo(name, "ITEMS"):
			return nil, false
		case string(name) == "items":
			if items, ok = r.items(); !ok {
				return nil, false
			}
		default:
			if r.dec.SkipValue() != nil {
				return nil, false
			}
		}
	}
	if !r.delim('}') || !r.done() {
		return nil, false
	}
	return items, true
}

// items reads the items array: each item an object of one answer by action, or null.
func (r *jsonReader) items() ([]map[string]*itemAnswer, bool) {
	switch r.dec.PeekKind() {
	case 'n':
		return nil, r.dec.SkipValue() == nil
	case '[':
	default:
		return nil, false
	}
	r.delim('[')
	items := make([]map[string]*itemAnswer, 0, 64)
	for r.dec.PeekKind() != ']' {
		switch r.dec.PeekKind() {
		case 'n':
			if r.dec.SkipValue() != nil {
				return nil, false
			}
			items = append(items, nil)
			continue
		case '{':
		default:
			return nil, false
		}
		r.delim('{')
		item := make(map[string]*itemAnswer, 1)
		for !r.end() {
			name, ok := r.name()
			if !ok {
				return nil, false
			}
			op := actionString(name)
			if r.dec.PeekKind() == 'n' {
				if r.dec.SkipValue() != nil {
					return nil, false
				}
				item[op] = nil
				continue
			}
			a, ok := r.itemAnswer()
			if !ok {
				return nil, false
			}
			item[op] = a
		}
		r.delim('}')
		items = append(items, item)
	}
	return items, r.delim(']')
}

// itemAnswer reads one action's answer: its status and version, and an update's result
// and document; other names are passed over.
func (r *jsonReader) itemAnswer() (*itemAnswer, bool) {
	if !r.delim('{') {
		return nil, false
	}
	a := &itemAnswer{}
	for !r.end() {
		name, ok := r.name()
		if !ok {
			return nil, false
		}
		switch string(name) {
		case "status":
			var n *int64
			if n, ok = r.integer(); ok && n != nil {
				s := int(*n)
				a.Status = &s
			}
		case "_version":
			a.Version, ok = r.integer()
		case "result":
			a.Result, ok = r.text()
		case "get":
			ok = r.getAnswer(&a.updateAnswer)
		default:
			ok = !foldsTo(name, "STATUS", "_VERSION", "RESULT", "GET") && r.dec.SkipValue() == nil
		}
		if !ok {
			return nil, false
		}
	}
	return a, r.delim('}')
}

// getAnswer reads an update answer's "get": its _source, raw; null leaves it as it is.
func (r *jsonReader) getAnswer(a *updateAnswer) bool {
	switch r.dec.PeekKind() {
	case 'n':
		return r.dec.SkipValue() == nil
	case '{':
	default:
		return false
	}
	r.delim('{')
	for !r.end() {
		name, ok := r.name()
		switch {
		case !ok || foldsTo(name, "_SOURCE"):
			return false
		case string(name) == "_source":
			v, err := r.dec.ReadValue()
			if err != nil {
				return false
			}
			a.Get.Source = append([]byte(nil), v...)
		default:
			if r.dec.SkipValue() != nil {
				return false
			}
		}
	}
	return r.delim('}')
}

// text reads a string (null: ""), interning the results an answer repeats.
func (r *jsonReader) text() (string, bool) {
	s, ok := r.stringValue()
	if !ok {
		return "", false
	}
	return resultString(s), true
}

// resultString is the constant for a result an answer repeats, without an allocation.
func resultString(s []byte) string {
	for _, c := range [...]string{"created", "updated", "deleted", "noop", "not_found"} {
		if string(s) == c {
			return c
		}
	}
	return string(s)
}

// actionString is the constant for a _bulk action's name, else a copy of it.
func actionString(name []byte) string {
	for _, c := range [...]string{"index", "create", "update", "delete"} {
		if string(name) == c {
			return c
		}
	}
	return string(name)
}
