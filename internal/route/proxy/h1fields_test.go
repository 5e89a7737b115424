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
