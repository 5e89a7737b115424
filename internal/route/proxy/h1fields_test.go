package proxy

import (
	"net/http"
	"reflect"
	"sort"
	"testing"

	"github.com/esdr/esdr/internal/route/proxy/h1"
)

// TestFieldConversionsKeepEveryValue: a node's fields become the header net/http would
// give (canonical names, repeated fields in order), and a header becomes fields without
// the framing ones.
func TestFieldConversionsKeepEveryValue(t *testing.T) {
	in := []h1.Field{
		{Name: []byte("Content-Type"), Value: []byte("application/json")},
		{Name: []byte("warning"), Value: []byte("299 a")},
		{Name: []byte("Warning"), Value: []byte("299 b")},
		{Name: []byte("x-elastic-product"), Value: []byte("Elasticsearch")},
		{Name: []byte("Empty"), Value: nil},
	}
	want := http.Header{"Content-Type": {"application/json"}, "Warning": {"299 a", "299 b"},
		"X-Elastic-Product": {"Elasticsearch"}, "Empty": {""}}
	got := headerOf(in)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("headerOf: %v, want %v", got, want)
	}
	got["Warning"] = append(got["Warning"], "299 c") // must not write over a neighbour
	if got.Get("X-Elastic-Product") != "Elasticsearch" {
		t.Fatal("appending to one field changed another")
	}
	h := http.Header{"Accept": {"a", "b"}, "Host": {"x"}, "Content-Length": {"3"}, "Connection": {"close"}, "Via": {"1.1 esdr"}}
	var fields []string
	for _, f := range fieldsOf(h) {
		fields = append(fields, string(f.Name)+": "+string(f.Value))
	}
	sort.Strings(fields)
	if w := []string{"Accept: a", "Accept: b", "Via: 1.1 esdr"}; !reflect.DeepEqual(fields, w) {
		t.Fatalf("fieldsOf: %q, want %q", fields, w)
	}
}

// TestAnAnswersFieldsGoIntoTheAttemptsStoreWhenTheyFit: names and values that fit the
// store are cut from it (no allocation of their own); those that do not get their own
// string; both give the same header, and a second answer into the same map and values
// leaves the first answer's strings as they were.
func TestAnAnswersFieldsGoIntoTheAttemptsStoreWhenTheyFit(t *testing.T) {
	in := []h1.Field{
		{Name: []byte("Content-Type"), Value: []byte("application/json")},
		{Name: []byte("Content-Length"), Value: []byte("13")},
		{Name: []byte("Warning"), Value: []byte("299 a")},
	}
	want := http.Header{"Content-Type": {"application/json"}, "Content-Length": {"13"}, "Warning": {"299 a"}}
	const size = 12 + 16 + 14 + 2 + 7 + 5
	for _, tc := range []struct {
		name  string
		store []byte
	}{
		{"fits", make([]byte, 64)},
		{"exactly fits", make([]byte, size)},
		{"one byte short", make([]byte, size-1)},
		{"no store", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, vals := headerInto(nil, nil, in, tc.store)
			if !reflect.DeepEqual(h, want) {
				t.Fatalf("header %v, want %v", h, want)
			}
			first := h.Get("Content-Type")
			if allocs := testing.AllocsPerRun(10, func() {
				h, vals = headerInto(h, vals, in, tc.store)
			}); len(tc.store) >= size && allocs != 0 || len(tc.store) < size && allocs != 1 {
				t.Fatalf("%v allocations refilling the header with a store of %d bytes", allocs, len(tc.store))
			}
			h, _ = headerInto(h, vals, []h1.Field{{Name: []byte("Content-Type"), Value: []byte("text/plain; x=1")}}, make([]byte, 64))
			if first != "application/json" || h.Get("Content-Type") != "text/plain; x=1" {
				t.Fatalf("after a second answer: first %q, now %q", first, h.Get("Content-Type"))
			}
		})
	}
}
