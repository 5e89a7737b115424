package mirror

import (
	"testing"
)

// bulkAnswer is an Elasticsearch _bulk answer: one item accepted, one refused.
const bulkAnswer = `{"took":3,"errors":true,"items":[` +
	`{"index":{"_index":"o","_id":"1","_version":1,"result":"created","status":201}},` +
	`{"create":{"_index":"o","_id":"2","status":409,"error":{"type":"version_conflict_engine_exception","reason":"exists"}}}]}`

func TestFilterPathApply(t *testing.T) {
	cases := []struct {
		name, doc, filter, want string
	}{
		{"an id filter keeps each item's id under its action", bulkAnswer, "items.*._id",
			`{"items":[{"index":{"_id":"1"}},{"create":{"_id":"2"}}]}`},
		{"comma-separated paths are kept in the answer's order, not the filter's", bulkAnswer, "items.*.status,took",
			`{"took":3,"items":[{"index":{"status":201}},{"create":{"status":409}}]}`},
		{"blank paths and spaces around paths are ignored", bulkAnswer, " items.*._id , ,",
			`{"items":[{"index":{"_id":"1"}},{"create":{"_id":"2"}}]}`},
		{"a wildcard inside a segment matches part of a key", bulkAnswer, "items.*.er*.type",
			`{"items":[{"create":{"error":{"type":"version_conflict_engine_exception"}}}]}`},
		{"a wildcard between literals matches what lies between them", bulkAnswer, "items.*._v*n",
			`{"items":[{"index":{"_version":1}}]}`},
		{"a double wildcard matches a key at any depth", bulkAnswer, "**.reason",
			`{"items":[{"create":{"error":{"reason":"exists"}}}]}`},
		{"a double wildcard at the end keeps everything below", bulkAnswer, "items.**",
			`{"items":[{"index":{"_index":"o","_id":"1","_version":1,"result":"created","status":201}},` +
				`{"create":{"_index":"o","_id":"2","status":409,"error":{"type":"version_conflict_engine_exception","reason":"exists"}}}]}`},
		{"a path that matches nothing leaves an empty object", bulkAnswer, "nothing.here", `{}`},
		{"a scalar under a partly matched key is dropped by an inclusion", bulkAnswer, "took.x", `{}`},
		{"an exclusion removes what it matches and keeps the rest", bulkAnswer, "-took,-items.*.error,-items.*._version,-items.*.result",
			`{"errors":true,"items":[{"index":{"_index":"o","_id":"1","status":201}},{"create":{"_index":"o","_id":"2","status":409}}]}`},
		{"an object an exclusion leaves empty is dropped", `{"a":{"b":1},"c":2}`, "-a.b", `{"c":2}`},
		{"inclusions are applied before exclusions", bulkAnswer, "items.*.*,-items.*.error,-items.*._*",
			`{"items":[{"index":{"result":"created","status":201}},{"create":{"status":409}}]}`},
		{"a key matched whole keeps its empty objects and arrays", `{"x":{"e":{},"l":[]},"y":1}`, "x",
			`{"x":{"e":{},"l":[]}}`},
		{"an escaped dot matches a dot inside a key", `{"a.b":{"c":1},"a":{"b":{"c":2}}}`, `a\.b.c`,
			`{"a.b":{"c":1}}`},
		{"scalars in an array under a partly matched key are dropped by an inclusion", `{"t":["x","y"],"u":[{"k":1},{"j":2}]}`, "t.k,u.k",
			`{"u":[{"k":1}]}`},
		{"scalars in an array under a partly matched key are kept by an exclusion", `{"t":["x","y"],"u":[{"k":1},{"j":2}]}`, "-t.k,-u.k",
			`{"t":["x","y"],"u":[{"j":2}]}`},
		{"arrays of arrays are gone through like arrays", `{"m":[[{"k":1,"j":2}]]}`, "m.k", `{"m":[[{"k":1}]]}`},
		{"strings keep their characters, HTML ones too, and escapes", `{"s":"<a&b> \"q\" \\ é \n\u0001"}`, "s",
			`{"s":"<a&b> \"q\" \\ é \n\u0001"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, ok := parseFilterPath(c.filter)
			if !ok {
				t.Fatalf("parseFilterPath(%q) names no path", c.filter)
			}
			tree, err := decodeTree([]byte(c.doc))
			if err != nil {
				t.Fatal(err)
			}
			if got := string(encodeJSON(f.apply(tree), false)); got != c.want {
				t.Errorf("filter_path=%s\n got %s\nwant %s", c.filter, got, c.want)
			}
		})
	}
}

func TestSegmentMatch(t *testing.T) {
	cases := []struct {
		name, pattern, key string
		want               bool
	}{
		{"a literal matches only itself", "status", "status", true},
		{"a literal does not match a longer key", "status", "statuses", false},
		{"a lone star matches any key", "*", "anything", true},
		{"a lone star matches an empty key", "*", "", true},
		{"a trailing star matches a prefix", "_v*", "_version", true},
		{"a leading star matches a suffix", "*_id", "_id", true},
		{"stars on both sides match a key containing the middle", "*er*", "error", true},
		{"a literal between stars must appear", "*zz*", "error", false},
		{"the last literal must end the key", "a*b", "abc", false},
		{"the last literal may not reuse the first", "a*a", "a", false},
		{"several stars match in order", "a*b*c", "aXbYc", true},
		{"several stars fail out of order", "a*b*c", "aXcYb", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := segmentMatch(c.pattern, c.key); got != c.want {
				t.Errorf("segmentMatch(%q, %q) = %v, want %v", c.pattern, c.key, got, c.want)
			}
		})
	}
}

func TestFilterPathUpstream(t *testing.T) {
	cases := []struct {
		name, filter, want string
	}{
		{"an inclusion is extended with the item statuses esdr reads", "items.*._id", "items.*._id,items.*.status"},
		{"several inclusions are kept as the client wrote them", `took, a\.b`, `took,a\.b,items.*.status`},
		{"a filter with an exclusion is not sent at all", "items.*._id,-took", ""},
		{"a filter of exclusions only is not sent at all", "-took", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, _ := parseFilterPath(c.filter)
			if got := f.upstream(bulkStatusPath); got != c.want {
				t.Errorf("upstream(%q) = %q, want %q", c.filter, got, c.want)
			}
		})
	}
	if _, ok := parseFilterPath(" , "); ok {
		t.Error("a filter_path of blanks names a path")
	}
}
