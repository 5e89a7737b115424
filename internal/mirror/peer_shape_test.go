package mirror

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/testbed"
)

// TestAnswerShapesPeer runs against a real one-node cluster of each engine: esdr's
// filter_path gives what the engine's own filter_path gives; writes sent through mirror
// mode with filter_path or format=yaml are journaled item by item and answered in the
// shape asked for; format=cbor never reaches the node; and a _bulk journaled with
// filter_path (by an esdr before the fix) is replayed with its errors visible.
func TestAnswerShapesPeer(t *testing.T) {
	for _, engine := range testbed.EnginesUnderTest() {
		t.Run(engine, func(t *testing.T) {
			tb := testbed.StartForTest(t, testbed.Spec{Engine: engine, Cluster: "shapes-" + engine, Nodes: 1})
			c, err := esclient.New(tb.URLs(), esclient.Options{Timeout: 30 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.CloseIdleConnections)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			must(ctx, t, c, "PUT", "/shapes", `{"settings":{"number_of_shards":1,"number_of_replicas":0},`+
				`"mappings":{"properties":{"n":{"type":"long"}}}}`, 200)
			must(ctx, t, c, "PUT", "/shapes/_doc/1?refresh=true", `{"n":1,"tags":["a","b"],`+
				`"obj":{"x":{"y":1,"z":[{"k":1},{"j":2}]},"e":{}},"a.b":3}`, 201)
			t.Run("esdr's filter_path gives what the engine's gives", func(t *testing.T) { filterConformance(ctx, t, c) })
			t.Run("writes through mirror mode are journaled and answered in the shape asked for", func(t *testing.T) {
				writesThroughMirror(ctx, t, c, tb.URLs()[0])
			})
			t.Run("a _bulk journaled with filter_path is replayed with its errors visible", func(t *testing.T) {
				j, _ := openJournal(t, t.TempDir(), Options{})
				body := bulk(`{"index":{"_index":"shapes","_id":"r1"}}`, `{"n":1}`, `{"index":{"_index":"shapes","_id":"r2"}}`, `{"n":"x"}`)
				rec := Record{Method: "POST", Path: "/_bulk", Query: "filter_path=items.*._id", ContentType: "application/x-ndjson",
					Body: []byte(body), Cluster: "primary", Epoch: 1, Time: time.Now()}
				if _, err := j.Append(ctx, rec); err != nil {
					t.Fatal(err)
				}
				r, err := NewReplicator(j, NewHTTPApplier(c), ReplicatorOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if err := runUntil(t, r, j, 1); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "mapper_parsing_exception") {
					t.Errorf("replaying a _bulk with a refused item = %v, want it refused with the item's error", err)
				}
			})
		})
	}
}

func must(ctx context.Context, t *testing.T, c *esclient.Client, method, path, body string, status int) []byte {
	t.Helper()
	st, b, err := c.Do(ctx, method, path, strings.NewReader(body))
	if err != nil || st != status {
		t.Fatalf("%s %s: HTTP %d %s %v, want %d", method, path, st, b, err, status)
	}
	return b
}

// filterConformance compares, for each filter, the engine's filtered answer to a read
// with esdr's filter applied to the engine's whole answer.
func filterConformance(ctx context.Context, t *testing.T, c *esclient.Client) {
	whole := canonical(t, must(ctx, t, c, "GET", "/shapes/_doc/1", "", 200))
	for _, f := range []string{
		"_source.obj.x.y", "_source.tags", "_source.tags.k", "_source.obj.*.z.k", "**.k", "_source.**",
		"_sou*.o*", "_id,found,_source.n", `_source.a\.b`, "_source.obj.e", "nothing.here",
		"-_source.obj.x,-_seq_no", "-_source.obj.x.z.k", "-_source.obj.x.y,-_source.obj.x.z", "-_source.obj.e.q",
		"_source,-_source.tags", "_source.obj.*,-_source.obj.x.z",
	} {
		want := canonical(t, must(ctx, t, c, "GET", "/shapes/_doc/1?filter_path="+url.QueryEscape(f), "", 200))
		fp, _ := parseFilterPath(f)
		tree, err := decodeTree([]byte(whole))
		if err != nil {
			t.Fatal(err)
		}
		if got := string(encodeJSON(fp.apply(tree), false)); got != want {
			t.Errorf("filter_path=%s\nesdr   %s\nengine %s", f, got, want)
		}
	}
}

// canonical re-encodes a JSON answer as esdr writes it, to compare answers byte for byte.
func canonical(t *testing.T, b []byte) string {
	t.Helper()
	tree, err := decodeTree(b)
	if err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return string(encodeJSON(tree, false))
}

// writesThroughMirror puts mirror mode in front of the node, with a reverse proxy naming
// the cluster and epoch as esdr's proxy does.
func writesThroughMirror(ctx context.Context, t *testing.T, c *esclient.Client, node string) {
	mem := newMember(t, node)
	j, srv := mem.j, mem.srv
	send := func(method, target, body string) (int, string, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, method, srv.URL+target, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-ndjson")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		return res.StatusCode, res.Header.Get("Content-Type"), string(b)
	}
	items := func(ids ...string) string {
		var lines []string
		for _, id := range ids {
			src := `{"n":2}`
			if strings.HasPrefix(id, "bad") {
				src = `{"n":"not a number"}`
			}
			lines = append(lines, fmt.Sprintf(`{"index":{"_index":"shapes","_id":%q}}`, id), src)
		}
		return bulk(lines...)
	}

	st, _, body := send("POST", "/_bulk?filter_path=items.*._id", items("p1", "bad-p2", "p3"))
	if want := `{"items":[{"index":{"_id":"p1"}},{"index":{"_id":"bad-p2"}},{"index":{"_id":"p3"}}]}`; st != 200 || body != want {
		t.Errorf("filtered _bulk: HTTP %d %s, want 200 %s", st, body, want)
	}
	st, _, body = send("PUT", "/shapes/_doc/s1?filter_path=_id,result", `{"n":3}`)
	if want := `{"_id":"s1","result":"created"}`; st != 201 || body != want {
		t.Errorf("filtered single write: HTTP %d %s, want 201 %s", st, body, want)
	}
	st, ctype, body := send("POST", "/_bulk?format=yaml", items("y1"))
	var back struct {
		Errors bool `yaml:"errors"`
		Items  []map[string]struct {
			Status int `yaml:"status"`
		} `yaml:"items"`
	}
	if err := yaml.Unmarshal([]byte(body), &back); err != nil || st != 200 || ctype != "application/yaml" ||
		len(back.Items) != 1 || back.Items[0]["index"].Status != 201 {
		t.Errorf("YAML _bulk: HTTP %d %s %q (%v)", st, ctype, body, err)
	}
	if st, _, body := send("POST", "/_bulk?format=cbor", items("c1")); st != http.StatusNotAcceptable {
		t.Errorf("CBOR _bulk: HTTP %d %s, want 406", st, body)
	}
	must(ctx, t, c, "GET", "/shapes/_doc/c1", "", 404) // never forwarded

	var got []string
	for _, rec := range readAll(t, j, 1) {
		if strings.Contains(rec.Query, "filter_path") || strings.Contains(rec.Query, "format") {
			t.Errorf("record %d journaled with ?%s", rec.Seq, rec.Query)
		}
		target := rec.Path
		if rec.Query != "" {
			target += "?" + rec.Query
		}
		got = append(got, rec.Method+" "+target+" "+strings.Join(strings.Fields(string(rec.Body)), " "))
	}
	// Each accepted item with the version the node gave it, filtered answer or not.
	want := []string{
		`POST /_bulk {"index":{"version":1,"version_type":"external_gte","_index":"shapes","_id":"p1"}} {"n":2} ` +
			`{"index":{"version":1,"version_type":"external_gte","_index":"shapes","_id":"p3"}} {"n":2}`,
		`PUT /shapes/_doc/s1?version=1&version_type=external_gte {"n":3}`,
		`POST /_bulk {"index":{"version":1,"version_type":"external_gte","_index":"shapes","_id":"y1"}} {"n":2}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("journal:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
