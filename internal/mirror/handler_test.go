package mirror

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/epoch"
)

// activeCluster is an httptest server playing the active cluster: it answers writes
// as Elasticsearch would (filter_path and format too, see shaped), fails documents whose
// id starts with "bad", and counts calls.
type activeCluster struct {
	mu      sync.Mutex
	paths   []string
	queries []string // the query and Accept header of each call
	srv     *httptest.Server
}

func newActiveCluster(t *testing.T) *activeCluster {
	a := &activeCluster{}
	a.srv = httptest.NewServer(a.shaped(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		a.paths = append(a.paths, r.Method+" "+r.URL.Path)
		a.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/_bulk"):
			var items []string
			for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
				if op, meta, err := parseAction([]byte(line)); err == nil {
					st := 201
					if strings.HasPrefix(meta.ID, "bad") {
						st = 400
					}
					items = append(items, fmt.Sprintf(`{%q:{"_id":%q,"status":%d}}`, op, meta.ID, st))
				}
			}
			fmt.Fprintf(w, `{"errors":true,"items":[%s]}`, strings.Join(items, ","))
		case strings.Contains(r.URL.Path, "/bad"):
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`{"error":{"type":"mapper_parsing_exception","reason":"no"},"status":400}`))
		case r.Method == http.MethodGet || strings.HasSuffix(r.URL.Path, "/_search"):
			_, _ = w.Write([]byte(`{"hits":{"hits":[]},"echo":` + fmt.Sprintf("%q", body) + `}`))
		default:
			w.WriteHeader(201)
			_, _ = fmt.Fprintf(w, `{"_id":%q,"result":"created"}`, path.Base(r.URL.Path))
		}
	})))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *activeCluster) calls() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.paths...)
}

// fakeEpochs is the control loop's answer: which cluster is active.
type fakeEpochs struct {
	mu sync.Mutex
	ep epoch.Endpoint
}

func (f *fakeEpochs) Endpoint(context.Context) (epoch.Endpoint, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ep, nil
}

func (f *fakeEpochs) EpochChanged() <-chan struct{} { return make(chan struct{}) }

// proxyTo stands in for esdr's proxy: it forwards to the active cluster and names the
// cluster and epoch that answered, after asking the gate, as the proxy does.
func proxyTo(t *testing.T, a *activeCluster, g *Gate) http.Handler {
	u, _ := url.Parse(a.srv.URL)
	rp := httputil.NewSingleHostReverseProxy(u)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ep, err := g.Endpoint(r.Context())
		if err != nil {
			writeError(w, r, 503, "esdr_unavailable", err.Error(), "", "")
			return
		}
		w.Header().Set(headerCluster, ep.Cluster)
		w.Header().Set(headerEpoch, fmt.Sprint(ep.Epoch))
		rp.ServeHTTP(w, r)
	})
}

type mirrorRig struct {
	j      *Journal
	m      *Mirror
	eps    *fakeEpochs
	active *activeCluster
	srv    *httptest.Server
}

func newMirrorRig(t *testing.T, jopts Options, hopts HandlerOptions) *mirrorRig {
	j, _ := openJournal(t, t.TempDir(), jopts)
	eps := &fakeEpochs{ep: epoch.Endpoint{Cluster: "east", Epoch: 3}}
	m, err := NewMirror(j, Pair{A: "east", B: "west"}, eps, hopts)
	if err != nil {
		t.Fatal(err)
	}
	a := newActiveCluster(t)
	srv := httptest.NewServer(m.Wrap(proxyTo(t, a, m.Gate(eps))))
	t.Cleanup(srv.Close)
	return &mirrorRig{j: j, m: m, eps: eps, active: a, srv: srv}
}

func (r *mirrorRig) do(t *testing.T, method, path, body string) (int, string, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, r.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var parsed map[string]any
	_ = json.Unmarshal(b, &parsed)
	errType := ""
	if e, ok := parsed["error"].(map[string]any); ok {
		errType, _ = e["type"].(string)
	}
	return res.StatusCode, errType, parsed
}

func TestWrapWritePath(t *testing.T) {
	r := newMirrorRig(t, Options{}, HandlerOptions{MaxBody: 4096})
	steps := []struct {
		name, method, path, body string
		status                   int
		errType                  string
		journaled                int // records in the journal after the step
	}{
		{"a search passes through", "POST", "/orders/_search", `{"query":{"match_all":{}}}`, 200, "", 0},
		{"a get passes through", "GET", "/orders/_doc/1", "", 200, "", 0},
		{"an index by id is journaled", "PUT", "/orders/_doc/1", `{"n":1}`, 201, "", 1},
		{"a refusal never reaches the cluster", "POST", "/orders/_delete_by_query", `{"query":{"match_all":{}}}`, 400, "esdr_mirror_mode_exception", 1},
		{"a write the cluster refused is not journaled", "PUT", "/orders/_doc/bad1", `{"n":"x"}`, 400, "mapper_parsing_exception", 1},
		{"an index without id gets one", "POST", "/orders/_doc", `{"n":2}`, 201, "", 2},
		{"a bulk journals what was accepted", "POST", "/_bulk",
			"{\"index\":{\"_index\":\"orders\",\"_id\":\"3\"}}\n{\"n\":3}\n{\"index\":{\"_index\":\"orders\",\"_id\":\"bad4\"}}\n{\"n\":4}\n", 200, "", 3},
		{"a bulk without ids gets them", "POST", "/orders/_bulk", "{\"index\":{}}\n{\"n\":5}\n", 200, "", 4},
		{"a body over max_body", "PUT", "/orders/_doc/big", `{"s":"` + strings.Repeat("x", 5000) + `"}`, 413, typeTooLarge, 4},
	}
	for _, s := range steps {
		st, typ, _ := r.do(t, s.method, s.path, s.body)
		if st != s.status || typ != s.errType {
			t.Errorf("%s: HTTP %d %q, want %d %q", s.name, st, typ, s.status, s.errType)
		}
		if got := r.j.Stats().Durable; got != uint64(s.journaled) {
			t.Errorf("%s: %d records journaled, want %d", s.name, got, s.journaled)
		}
	}
	recs := readAll(t, r.j, 1)
	if len(recs) != 4 {
		t.Fatalf("journal holds %d records", len(recs))
	}
	if recs[0].Path != "/orders/_doc/1" || recs[0].Cluster != "east" || recs[0].Epoch != 3 || string(recs[0].Body) != `{"n":1}` {
		t.Errorf("record 1: %+v", recs[0])
	}
	if id, ok := strings.CutPrefix(recs[1].Path, "/orders/_create/"); !ok || len(id) != 20 {
		t.Errorf("record 2 path %q, want /orders/_create/<20-char id>", recs[1].Path)
	}
	if want := "{\"index\":{\"_index\":\"orders\",\"_id\":\"3\"}}\n{\"n\":3}\n"; string(recs[2].Body) != want {
		t.Errorf("bulk record body %q, want %q", recs[2].Body, want)
	}
	if op, meta, err := parseAction(bytes.SplitN(recs[3].Body, []byte("\n"), 2)[0]); err != nil || op != "create" || len(meta.ID) != 20 {
		t.Errorf("bulk without ids journaled as %q: want a create with esdr's 20-character id", recs[3].Body)
	}
	for _, c := range r.active.calls() {
		if strings.Contains(c, "_delete_by_query") || strings.Contains(c, "big") {
			t.Errorf("the cluster got %s", c)
		}
	}
	if r.j.held != 0 {
		t.Errorf("%d bytes still reserved after every request ended", r.j.held)
	}
	if got := r.m.Pending("west"); got != 4 {
		t.Errorf("Pending(west) = %d, want 4", got)
	}
	if a := r.m.Answers(); a["esdr_mirror_mode_exception"] != 1 || a[typeTooLarge] != 1 || a[typeOutcomeUnknown] != 0 {
		t.Errorf("Answers = %v, want 1 refusal and 1 too large", a)
	}
}

func TestWrapJournalFull(t *testing.T) {
	r := newMirrorRig(t, Options{MaxBytes: 4096, SegmentBytes: 1024, MaxRecordBytes: 1024}, HandlerOptions{})
	var st int
	var typ string
	for i := range 100 {
		if st, typ, _ = r.do(t, "PUT", fmt.Sprintf("/orders/_doc/%d", i), `{"pad":"`+strings.Repeat("p", 200)+`"}`); st != 201 {
			break
		}
	}
	if st != 503 || typ != typeJournalFull {
		t.Fatalf("past the bound: HTTP %d %q, want 503 %s", st, typ, typeJournalFull)
	}
	n := r.j.Stats().Durable
	if calls := len(r.active.calls()); calls != int(n) {
		t.Errorf("the cluster got %d writes for %d journaled: the refused one reached it", calls, n)
	}
}

// TestWrapDrainsBeforeFailover: after the active cluster moves to west, writes wait for
// the records destined for west; past the drain wait they fail with the count, and once
// the replicator applied them they go through.
func TestWrapDrainsBeforeFailover(t *testing.T) {
	r := newMirrorRig(t, Options{}, HandlerOptions{DrainWait: 50 * time.Millisecond})
	for i := range 3 {
		if st, _, _ := r.do(t, "PUT", fmt.Sprintf("/orders/_doc/%d", i), `{}`); st != 201 {
			t.Fatalf("write %d: HTTP %d", i, st)
		}
	}
	r.eps.mu.Lock()
	r.eps.ep = epoch.Endpoint{Cluster: "west", Epoch: 4}
	r.eps.mu.Unlock()
	before := len(r.active.calls())
	st, typ, body := r.do(t, "PUT", "/orders/_doc/9", `{}`)
	if st != 503 || typ != typeUnavailable || !strings.Contains(fmt.Sprint(body), "still applying 3 journaled writes") {
		t.Fatalf("write before the standby caught up: HTTP %d %v", st, body)
	}
	if st, _, _ := r.do(t, "GET", "/orders/_doc/1", ""); st != 200 {
		t.Errorf("a read during the drain: HTTP %d, want it to pass", st)
	}
	if len(r.active.calls()) != before+1 {
		t.Errorf("the held write reached the cluster")
	}
	if err := r.j.SetCursor("west", 3, 3); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := r.do(t, "PUT", "/orders/_doc/9", `{}`); st != 201 {
		t.Fatalf("write after the standby caught up: HTTP %d", st)
	}
	recs := readAll(t, r.j, 4)
	if len(recs) != 1 || recs[0].Cluster != "west" || r.m.Pending("east") != 1 || r.m.Pending("west") != 0 {
		t.Errorf("after failover: %+v, pending east %d west %d", recs, r.m.Pending("east"), r.m.Pending("west"))
	}
	// A mirror opened on this journal again knows what each cluster still lacks.
	m2, err := NewMirror(r.j, r.m.pair, r.eps, HandlerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m2.Pending("east") != 1 || m2.Pending("west") != 0 {
		t.Errorf("rescanned: pending east %d west %d, want 1 and 0", m2.Pending("east"), m2.Pending("west"))
	}
}

// TestWrapAppendFails: the active cluster accepted the write but the journal failed;
// the client must hear the outcome is unknown, not that it is safe.
func TestWrapAppendFails(t *testing.T) {
	j, _ := openJournal(t, t.TempDir(), Options{})
	eps := &fakeEpochs{ep: epoch.Endpoint{Cluster: "east", Epoch: 3}}
	m, err := NewMirror(j, Pair{A: "east", B: "west"}, eps, HandlerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = j.Close() // the disk went away while the cluster was writing
		w.Header().Set(headerCluster, "east")
		w.Header().Set(headerEpoch, "3")
		w.WriteHeader(201)
	})
	rec := httptest.NewRecorder()
	m.Wrap(next).ServeHTTP(rec, httptest.NewRequest("PUT", "/orders/_doc/1", strings.NewReader(`{}`)))
	if rec.Code != 502 || !strings.Contains(rec.Body.String(), typeOutcomeUnknown) || rec.Header().Get(headerCluster) != "east" {
		t.Errorf("HTTP %d %s %v", rec.Code, rec.Body, rec.Header())
	}
}

// TestGate: the proxy's epoch source holds only writes marked by Wrap, and only while
// the cluster it names lacks journaled writes; the proxy's own deadline ends the wait
// with the drain reason.
func TestGate(t *testing.T) {
	j, _ := openJournal(t, t.TempDir(), Options{})
	eps := &fakeEpochs{ep: epoch.Endpoint{Cluster: "west", Epoch: 4}}
	m, err := NewMirror(j, Pair{A: "east", B: "west"}, eps, HandlerOptions{DrainWait: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	rec := doc(1)
	seq, err := j.Append(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	m.noteAppended("east", seq) // accepted by east: west must apply it
	g := m.Gate(eps)
	if ep, err := g.Endpoint(context.Background()); err != nil || ep.Cluster != "west" {
		t.Errorf("a read: %v %v, want west at once", ep, err)
	}
	write := context.WithValue(context.Background(), writeKey{}, &writeState{})
	ctx, cancel := context.WithTimeout(write, 20*time.Millisecond)
	defer cancel()
	_, err = g.Endpoint(ctx)
	var de *DrainError
	if !errors.As(err, &de) || de.Pending != 1 || de.Cluster != "west" {
		t.Errorf("a write before west caught up: %v, want a DrainError for 1 write", err)
	}
	done := make(chan error, 1)
	go func() { _, err := g.Endpoint(write); done <- err }()
	if err := j.SetCursor("west", seq, 1); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("a write once west caught up: %v", err)
	}
}

// stalledBody gives a few bytes, then fails as the proxy's paced reader does when the
// client stopped sending (proxy.body_timeout): a read past its deadline.
type stalledBody struct{ sent bool }

func (b *stalledBody) Read(p []byte) (int, error) {
	if !b.sent {
		b.sent = true
		return copy(p, `{"a":`), nil
	}
	return 0, &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
}

func (b *stalledBody) Close() error { return nil }

// TestWrapLeavesAStalledBodyToTheServer: a write whose client stopped sending is not
// answered 400 by the mirror; the proxy's server answers it 408 (pace.go) and counts it.
func TestWrapLeavesAStalledBodyToTheServer(t *testing.T) {
	j, _ := openJournal(t, t.TempDir(), Options{})
	m, err := NewMirror(j, Pair{A: "east", B: "west"}, &fakeEpochs{ep: epoch.Endpoint{Cluster: "east", Epoch: 3}}, HandlerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	forwarded := false
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { forwarded = true })
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("PUT", "/orders/_doc/1", nil)
	req.Body, req.ContentLength = &stalledBody{}, -1
	m.Wrap(next).ServeHTTP(rec, req)
	if forwarded || rec.Body.Len() != 0 || len(rec.Header()) != 0 {
		t.Errorf("a stalled body was forwarded (%v) or answered: HTTP %d %v %s", forwarded, rec.Code, rec.Header(), rec.Body)
	}
}
