package mirror

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/esdr/esdr/internal/epoch"
)

// TestReadBack: the partial update items of an accepted _bulk are replaced by the
// documents a realtime _mget reads back from the cluster and epoch that took the write;
// an answer from elsewhere, a refusal or a cut answer leave them as they were.
func TestReadBack(t *testing.T) {
	body := "{\"index\":{\"_id\":\"a\",\"version\":3,\"version_type\":\"external_gte\"}}\n{\"n\":1}\n" +
		"{\"update\":{\"_id\":\"b\",\"routing\":\"r\"}}\n{\"doc\":{\"n\":2},\"_source\":false}\n" +
		"{\"delete\":{\"_id\":\"c\",\"version\":4,\"version_type\":\"external_gte\"}}\n" +
		"{\"update\":{\"_index\":\"other\",\"_id\":\"d\"}}\n{\"doc\":{\"n\":4}}\n" +
		"{\"update\":{\"_id\":\"gone\"}}\n{\"doc\":{\"n\":5}}\n"
	const answer = `{"docs":[{"_index":"orders","_id":"b","_version":7,"found":true,"_source":{"n" : 2, "m":1}},` +
		`{"_index":"other","_id":"d","_version":2,"found":true,"_source":{"n":4}},{"_index":"orders","_id":"gone","found":false}]}`
	whole := "{\"index\":{\"_id\":\"a\",\"version\":3,\"version_type\":\"external_gte\"}}\n{\"n\":1}\n" +
		"{\"index\":{\"_id\":\"b\",\"pipeline\":\"_none\",\"routing\":\"r\",\"version\":7,\"version_type\":\"external_gte\"}}\n{\"n\":2,\"m\":1}\n" +
		"{\"delete\":{\"_id\":\"c\",\"version\":4,\"version_type\":\"external_gte\"}}\n" +
		"{\"index\":{\"_id\":\"d\",\"_index\":\"other\",\"pipeline\":\"_none\",\"version\":2,\"version_type\":\"external_gte\"}}\n{\"n\":4}\n" +
		"{\"update\":{\"_id\":\"gone\"}}\n{\"doc\":{\"n\":5}}\n"
	cases := []struct {
		name           string
		cluster, epoch string
		status         int
		panics         bool
		want           string
	}{
		{"the documents read back replace the partial updates", "east", "3", 200, false, whole},
		{"an answer from another cluster changes nothing", "west", "4", 200, false, body},
		{"a refused _mget changes nothing", "east", "3", 503, false, body},
		{"an _mget cut short changes nothing", "east", "3", 200, true, body},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j, _ := openJournal(t, t.TempDir(), Options{})
			m, err := NewMirror(j, Pair{A: "east", B: "west"}, &fakeEpochs{ep: epoch.Endpoint{Cluster: "east", Epoch: 3}}, HandlerOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var asked string
			next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				asked = r.Method + " " + r.URL.RequestURI() + " " + string(b)
				if writeOf(r.Context()) != nil {
					t.Error("the _mget went as part of the write")
				}
				w.Header().Set(headerCluster, c.cluster)
				w.Header().Set(headerEpoch, c.epoch)
				w.WriteHeader(c.status)
				_, _ = io.WriteString(w, answer)
				if c.panics {
					panic(http.ErrAbortHandler)
				}
			})
			r := httptest.NewRequest(http.MethodPost, "/orders/_bulk?refresh=true", strings.NewReader(body))
			r = r.WithContext(context.WithValue(r.Context(), writeKey{}, &writeState{}))
			got := string(m.readBack(r, next, "/orders/_bulk", []byte(body), "east", "3"))
			if got != c.want {
				t.Errorf("readBack =\n%s\nwant\n%s", got, c.want)
			}
			wantAsk := `POST /_mget?realtime=true {"docs":[{"_index":"orders","_id":"b","routing":"r"},{"_index":"other","_id":"d"},{"_index":"orders","_id":"gone"}]}`
			if asked != wantAsk {
				t.Errorf("asked %s\nwant  %s", asked, wantAsk)
			}
		})
	}
}

// TestBulkIndexOf reads the index a _bulk's path names.
func TestBulkIndexOf(t *testing.T) {
	for path, want := range map[string]string{"/_bulk": "", "/orders/_bulk": "orders", "/orders/_bulk/": "orders", "/a%2Cb/_bulk": "a,b", "/a/b/_bulk": ""} {
		if got := bulkIndexOf(path); got != want {
			t.Errorf("bulkIndexOf(%q) = %q, want %q", path, got, want)
		}
	}
}
