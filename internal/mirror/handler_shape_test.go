package mirror

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/esdr/esdr/internal/epoch"
)

// shaped wraps the fake active cluster with what Elasticsearch does to an answer:
// filter_path applied to answers that are not errors, and a body esdr cannot read when
// the request asks for another format (?format=, a non-JSON Accept header). It records
// each call's query and Accept header.
func (a *activeCluster) shaped(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.queries = append(a.queries, r.URL.RawQuery+" Accept: "+r.Header.Get("Accept"))
		a.mu.Unlock()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if f, ok := parseFilterPath(r.URL.Query().Get("filter_path")); ok && rec.Code < 400 {
			if tree, err := decodeTree(body); err == nil {
				body = encodeJSON(f.apply(tree), false)
			}
		}
		if kind, _, _ := mediaKind(r.Header.Get("Accept")); kind != "" && kind != "json" || r.URL.Query().Has("format") {
			body = []byte("\xd9\xd9\xf7 not JSON")
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	})
}

func (a *activeCluster) lastQuery() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.queries[len(a.queries)-1]
}

// TestWrapAnswerShapes: writes asking for a filtered or YAML answer are journaled by
// the statuses the cluster gave esdr in JSON, and the client gets the shape it asked for.
func TestWrapAnswerShapes(t *testing.T) {
	r := newMirrorRig(t, Options{}, HandlerOptions{})
	send := func(method, target, accept, body string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, r.srv.URL+target, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-ndjson")
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	twoItems := func(a, b string) string {
		return bulk(fmt.Sprintf(`{"index":{"_index":"orders","_id":%q}}`, a), `{"n":1}`,
			fmt.Sprintf(`{"index":{"_index":"orders","_id":%q}}`, b), `{"n":2}`)
	}
	lastRecord := func() Record { t.Helper(); return readAll(t, r.j, r.j.Stats().Durable)[0] }

	t.Run("a _bulk filtered to its ids is journaled by status and answered with the ids only", func(t *testing.T) {
		res, body := send("POST", "/_bulk?filter_path=items.*._id&refresh=true", "", twoItems("f1", "bad-f2"))
		if want := `{"items":[{"index":{"_id":"f1"}},{"index":{"_id":"bad-f2"}}]}`; res.StatusCode != 200 || body != want {
			t.Errorf("HTTP %d %s, want 200 %s", res.StatusCode, body, want)
		}
		if q := r.active.lastQuery(); !strings.HasPrefix(q, "refresh=true&filter_path=items.%2A._id%2Citems.%2A.status%2Citems.%2A._version%2Citems.%2A.get._source ") {
			t.Errorf("the cluster was asked %q, want the client's filter, the statuses and the versions", q)
		}
		if rec := lastRecord(); string(rec.Body) != bulk(`{"index":{"_index":"orders","_id":"f1"}}`, `{"n":1}`) || rec.Query != "refresh=true" {
			t.Errorf("journaled %q ?%s, want only item f1, without the filter", rec.Body, rec.Query)
		}
	})
	t.Run("a _bulk asked in YAML is journaled and answered in YAML", func(t *testing.T) {
		n := r.j.Stats().Durable
		res, body := send("POST", "/_bulk?format=yaml", "", twoItems("y1", "y2"))
		var back struct {
			Items []map[string]struct {
				ID     string `yaml:"_id"`
				Status int    `yaml:"status"`
			} `yaml:"items"`
		}
		if err := yaml.Unmarshal([]byte(body), &back); err != nil || len(back.Items) != 2 || back.Items[1]["index"].ID != "y2" ||
			res.Header.Get("Content-Type") != "application/yaml" {
			t.Errorf("HTTP %d %s %q: %v", res.StatusCode, res.Header.Get("Content-Type"), body, err)
		}
		if r.j.Stats().Durable != n+1 || strings.Contains(r.active.lastQuery(), "format") {
			t.Errorf("journaled %d records, the cluster was asked %q", r.j.Stats().Durable-n, r.active.lastQuery())
		}
	})
	t.Run("a _bulk with a YAML Accept header asks the cluster for JSON", func(t *testing.T) {
		res, body := send("POST", "/_bulk", "application/yaml", twoItems("a1", "a2"))
		if !strings.HasPrefix(body, "---\n") || res.Header.Get("Content-Type") != "application/yaml" {
			t.Errorf("HTTP %d %s %q", res.StatusCode, res.Header.Get("Content-Type"), body)
		}
		if q := r.active.lastQuery(); !strings.HasSuffix(q, "Accept: application/json") {
			t.Errorf("the cluster was asked %q", q)
		}
		if rec := lastRecord(); !strings.Contains(string(rec.Body), `"a2"`) {
			t.Errorf("journaled %q", rec.Body)
		}
	})
	t.Run("a single write filtered to its id is journaled without the filter", func(t *testing.T) {
		res, body := send("PUT", "/orders/_doc/s1?filter_path=_id&pretty", "", `{"n":1}`)
		if want := "{\n  \"_id\": \"s1\"\n}\n"; res.StatusCode != 201 || body != want {
			t.Errorf("HTTP %d %q, want 201 %q", res.StatusCode, body, want)
		}
		if rec := lastRecord(); rec.Path != "/orders/_doc/s1" || rec.Query != "pretty" {
			t.Errorf("journaled %s ?%s", rec.Path, rec.Query)
		}
	})
	t.Run("a write asked in CBOR is refused before it reaches the cluster", func(t *testing.T) {
		calls, n := len(r.active.calls()), r.j.Stats().Durable
		for _, target := range []string{"/_bulk?format=cbor", "/orders/_doc/c1"} {
			accept := map[bool]string{true: "application/smile"}[!strings.Contains(target, "format")]
			res, body := send("POST", target, accept, twoItems("c1", "c2"))
			if res.StatusCode != http.StatusNotAcceptable || !strings.Contains(body, "esdr_mirror_mode_exception") {
				t.Errorf("%s: HTTP %d %s, want 406", target, res.StatusCode, body)
			}
		}
		if len(r.active.calls()) != calls || r.j.Stats().Durable != n {
			t.Errorf("the refused writes reached the cluster or the journal")
		}
	})
	if r.j.held != 0 {
		t.Errorf("%d bytes still reserved after every request ended", r.j.held)
	}
}

// TestWrapBulkWithoutStatuses: a _bulk answer without the item statuses (a cluster
// that filtered them away anyway) makes the outcome unknown, never "refused": the items
// with a status are journaled and the client is told to check.
func TestWrapBulkWithoutStatuses(t *testing.T) {
	j, _ := openJournal(t, t.TempDir(), Options{})
	m, err := NewMirror(j, Pair{A: "east", B: "west"}, &fakeEpochs{ep: epoch.Endpoint{Cluster: "east", Epoch: 3}}, HandlerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(headerCluster, "east")
		w.Header().Set(headerEpoch, "3")
		_, _ = w.Write([]byte(`{"items":[{"index":{"_id":"1","status":201}},{"index":{"_id":"2"}}]}`))
	})
	body := bulk(`{"index":{"_index":"o","_id":"1"}}`, `{}`, `{"index":{"_index":"o","_id":"2"}}`, `{}`)
	rec := httptest.NewRecorder()
	m.Wrap(next).ServeHTTP(rec, httptest.NewRequest("POST", "/_bulk", strings.NewReader(body)))
	if rec.Code != 502 || !strings.Contains(rec.Body.String(), typeOutcomeUnknown) || !strings.Contains(rec.Body.String(), "no status for 1 _bulk items (2)") {
		t.Errorf("HTTP %d %s", rec.Code, rec.Body)
	}
	if recs := readAll(t, j, 1); len(recs) != 1 || string(recs[0].Body) != bulk(`{"index":{"_index":"o","_id":"1"}}`, `{}`) {
		t.Errorf("journal holds %+v, want item 1 only", recs)
	}
	if m.Answers()[typeOutcomeUnknown] != 1 {
		t.Errorf("answers %v", m.Answers())
	}
}
