package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSide is one cluster as the writer handover sees it: its registration of
// repository r, its fence, and a snapshot that succeeds at once. Every change it is
// asked for goes, in order, into a log both sides share.
type fakeSide struct {
	name     string
	reg      string // "", `{}` (writable) or `{"readonly":"true"}`
	settings string // GET _cluster/settings answer
	mu       *sync.Mutex
	log      *[]string
}

func (f *fakeSide) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := r.URL.Path
	switch {
	case r.Method == http.MethodGet && p == "/_cluster/settings":
		_, _ = io.WriteString(w, f.settings)
	case r.Method == http.MethodGet && p == "/_snapshot/r" && f.reg == "":
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"error":{"type":"repository_missing_exception","reason":"[r] missing"},"status":404}`)
	case r.Method == http.MethodGet && p == "/_snapshot/r":
		_, _ = fmt.Fprintf(w, `{"r":{"type":"fs","settings":%s}}`, f.reg)
	case r.Method == http.MethodPut && p == "/_snapshot/r":
		body, _ := io.ReadAll(r.Body)
		f.reg = `{}`
		if strings.Contains(string(body), `"readonly":true`) {
			f.reg = `{"readonly":"true"}`
		}
		*f.log = append(*f.log, f.name+" registers "+map[bool]string{true: "read-only", false: "writable"}[f.reg != `{}`])
		_, _ = io.WriteString(w, `{"acknowledged":true}`)
	case r.Method == http.MethodPut && strings.HasPrefix(p, "/_snapshot/r/"):
		*f.log = append(*f.log, f.name+" snapshots "+strings.TrimPrefix(p, "/_snapshot/r/"))
		_, _ = io.WriteString(w, `{"accepted":true}`)
	case r.Method == http.MethodGet && strings.HasSuffix(p, "/_status"):
		_, _ = io.WriteString(w, `{"snapshots":[{"state":"SUCCESS","indices":{}}]}`)
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/_snapshot/r/"):
		_, _ = fmt.Fprintf(w, `{"snapshots":[{"snapshot":%q,"state":"SUCCESS","indices":[]}]}`, strings.TrimPrefix(p, "/_snapshot/r/"))
	default:
		*f.log = append(*f.log, f.name+" was asked "+r.Method+" "+p)
		w.WriteHeader(http.StatusTeapot)
	}
}

// TestTheWriterMovesWithTheDirection: each case starts from the clusters' registrations
// and runs the handover of a Reverse cycle (b the source, a the target).
func TestTheWriterMovesWithTheDirection(t *testing.T) {
	const ro, rw, none = `{"readonly":"true"}`, `{}`, ""
	cases := []struct {
		name           string
		a, b           string // registrations before
		want           []string
		err            string
		aAfter, bAfter string
	}{
		{"a first cycle registers the source writable and the target read-only", none, none,
			[]string{"b registers writable", "a registers read-only"}, "", ro, rw},
		{"a cycle with the writer in place changes nothing", ro, rw, nil, "", ro, rw},
		{"after a failover the target's copy is kept, then it is made read-only before the source is made writable", rw, ro,
			[]string{"a snapshots esdr-sync.kept-20260101-000000-000", "a registers read-only", "b registers writable"}, "", ro, rw},
		{"a handover cut short after the keep finishes without keeping again", ro, ro,
			[]string{"b registers writable"}, "", ro, rw},
		{"two writers are refused and nothing changes", rw, rw, nil, "registered writable on both b and a", rw, rw},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var mu sync.Mutex
			var log []string
			a := &fakeSide{name: "a", reg: c.a, settings: `{}`, mu: &mu, log: &log}
			b := &fakeSide{name: "b", reg: c.b, settings: `{}`, mu: &mu, log: &log}
			sa, sb := httptest.NewServer(a), httptest.NewServer(b)
			defer sa.Close()
			defer sb.Close()
			s := newFakeSync(t, sa.URL, sb.URL)
			from, to := s.ends(Reverse)
			var rep Report
			err := s.ensureWriter(context.Background(), from, to, &rep)
			if (err == nil) != (c.err == "") || err != nil && !strings.Contains(err.Error(), c.err) {
				t.Fatalf("ensureWriter: %v, want an error containing %q", err, c.err)
			}
			if !slices.Equal(log, c.want) {
				t.Errorf("changes %q, want %q", log, c.want)
			}
			if a.reg != c.aAfter || b.reg != c.bAfter {
				t.Errorf("registrations after: a %s, b %s; want %s, %s", a.reg, b.reg, c.aAfter, c.bAfter)
			}
			if wantKept := slices.ContainsFunc(c.want, func(s string) bool { return strings.Contains(s, ".kept-") }); wantKept != (rep.Kept != "") {
				t.Errorf("Report.Kept %q", rep.Kept)
			}
		})
	}
}

// TestAFencedTargetWaitsWithoutFailing: a cycle towards a cluster with esdr's fence on
// changes nothing and is neither a cycle nor a failure; Stats says why it waits. A
// transient false over a persistent fence is no fence.
func TestAFencedTargetWaitsWithoutFailing(t *testing.T) {
	var mu sync.Mutex
	var log []string
	a := &fakeSide{name: "a", reg: `{}`, settings: `{"persistent":{"cluster.blocks.read_only":"true"},"transient":{}}`, mu: &mu, log: &log}
	b := &fakeSide{name: "b", reg: `{"readonly":"true"}`, settings: `{}`, mu: &mu, log: &log}
	sa, sb := httptest.NewServer(a), httptest.NewServer(b)
	defer sa.Close()
	defer sb.Close()
	s := newFakeSync(t, sa.URL, sb.URL)
	rep, err := s.Cycle(context.Background(), Reverse)
	if !errors.Is(err, ErrFenced) || !strings.Contains(err.Error(), "esdr resync --to a") || rep.From != "b" || rep.To != "a" {
		t.Fatalf("cycle towards a fenced cluster: %v (%+v)", err, rep)
	}
	if len(log) != 0 {
		t.Errorf("changes towards a fenced cluster: %q", log)
	}
	st := s.Stats()
	if st.Cycles != 0 || st.Failures != 0 || !strings.Contains(st.Waiting, "cluster.blocks.read_only=true") {
		t.Errorf("Stats: %+v", st)
	}
	mu.Lock()
	a.settings = `{"persistent":{"cluster.blocks.read_only":"true"},"transient":{"cluster.blocks.read_only":"false"}}`
	mu.Unlock()
	if err := s.checkUnfenced(context.Background(), s.sides[0]); err != nil {
		t.Errorf("a transient false over a persistent fence: %v", err)
	}
}

func newFakeSync(t *testing.T, a, b string) *Sync {
	t.Helper()
	s, err := New(client(t, a), client(t, b), Options{
		Names: [2]string{"a", "b"}, Repository: Repository{Name: "r", Type: "fs"}, Indices: []string{"logs-*"},
		PollInterval: time.Millisecond, Now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
