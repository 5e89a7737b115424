package snapshot

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/testbed"
)

// TestSyncPeer syncs indices written directly to a real primary onto a real standby
// through a shared fs repository, for each engine: a first sync creates them, a second
// reflects added, updated and deleted documents, a third prunes; then the sync runs in
// reverse and back (reverse); a broken repository and then a dead standby fail the cycle
// with a clear error while the age keeps growing.
func TestSyncPeer(t *testing.T) {
	for _, engine := range testbed.EnginesUnderTest() {
		t.Run(engine, func(t *testing.T) {
			root := t.TempDir() // path.repo of both clusters
			spec := func(role string) testbed.Spec {
				return testbed.Spec{Engine: engine, Cluster: "snap-" + role + "-" + engine, Nodes: 1,
					Settings: map[string]string{"path.repo": root}}
			}
			p := testbed.StartForTest(t, spec("p"))
			s := testbed.StartForTest(t, spec("s"))
			syncPeer(t, root, s, newClient(t, p.URLs()), newClient(t, s.URLs()))
		})
	}
}

func newClient(t *testing.T, urls []string) *esclient.Client {
	t.Helper()
	c, err := esclient.New(urls, esclient.Options{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func syncPeer(t *testing.T, root string, standbyCluster *testbed.Cluster, primary, standby *esclient.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	do := func(c *esclient.Client, method, path, body string, want ...int) []byte {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		st, b, err := c.Do(ctx, method, path, rd)
		if err != nil || !slices.Contains(append(want, 200, 201), st) {
			t.Fatalf("%s %s: %d %s %v", method, path, st, b, err)
		}
		return b
	}
	bulk := func(c *esclient.Client, index string, from, to int, tag string) {
		t.Helper()
		var b strings.Builder
		for i := from; i < to; i++ {
			fmt.Fprintf(&b, "{\"index\":{\"_id\":\"d%d\"}}\n{\"n\":%d,\"tag\":%q}\n", i, i, tag)
		}
		if r := do(c, http.MethodPost, "/"+index+"/_bulk?refresh=true", b.String()); strings.Contains(string(r), `"errors":true`) {
			t.Fatalf("bulk: %s", r)
		}
	}
	count := func(c *esclient.Client, index string) int {
		t.Helper()
		do(c, http.MethodPost, "/"+index+"/_refresh", "")
		var res struct{ Count int }
		if err := json.Unmarshal(do(c, http.MethodGet, "/"+index+"/_count", ""), &res); err != nil {
			t.Fatal(err)
		}
		return res.Count
	}
	docTag := func(c *esclient.Client, index, id string) string {
		t.Helper()
		var res struct {
			Found  bool
			Source struct{ Tag string } `json:"_source"`
		}
		if err := json.Unmarshal(do(c, http.MethodGet, "/"+index+"/_doc/"+id, "", 404), &res); err != nil {
			t.Fatal(err)
		}
		if !res.Found {
			return "(absent)"
		}
		return res.Source.Tag
	}

	// Written around esdr: straight to the primary.
	do(primary, http.MethodPut, "/logs-a", `{"settings":{"number_of_shards":2,"number_of_replicas":0}}`)
	bulk(primary, "logs-a", 0, 200, "v1")
	bulk(primary, "logs-b", 0, 10, "v1")
	bulk(primary, "other", 0, 5, "v1")
	// The standby has an older logs-a of another shape: it is replaced.
	do(standby, http.MethodPut, "/logs-a", `{"settings":{"number_of_shards":1,"number_of_replicas":0}}`)
	bulk(standby, "logs-a", 1000, 1001, "stale")

	var reports []Report
	sync, err := New(primary, standby, Options{
		Repository:    Repository{Name: "esdr-sync", Type: "fs", Settings: map[string]any{"location": filepath.Join(root, "r")}},
		Indices:       []string{"logs-*"},
		Mirrored:      []string{"orders*"},
		Keep:          2,
		PollInterval:  200 * time.Millisecond,
		IndexSettings: map[string]any{"index.number_of_replicas": 0},
		OnCycle:       func(r Report) { reports = append(reports, r) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if st := sync.Stats(); !st.LastGood.IsZero() || st.Cycles != 0 {
		t.Fatalf("Stats before any cycle: %+v", st)
	}

	// 1: the indices appear on the standby.
	rep, err := sync.Cycle(ctx, Forward)
	if err != nil {
		t.Fatalf("cycle 1: %v", err)
	}
	if !slices.Equal(rep.Restored, []string{"logs-a", "logs-b"}) || len(reports) != 1 || reports[0].Snapshot != rep.Snapshot {
		t.Errorf("cycle 1: report %+v, OnCycle saw %d", rep, len(reports))
	}
	if n := count(standby, "logs-a"); n != 200 {
		t.Errorf("standby logs-a after cycle 1: %d documents, want 200", n)
	}
	if n := count(standby, "logs-b"); n != 10 {
		t.Errorf("standby logs-b after cycle 1: %d documents, want 10", n)
	}
	for id, want := range map[string]string{"d0": "v1", "d199": "v1", "d1000": "(absent)"} {
		if got := docTag(standby, "logs-a", id); got != want {
			t.Errorf("standby logs-a/%s after cycle 1: %q, want %q", id, got, want)
		}
	}
	if got := string(do(standby, http.MethodGet, "/other", "", 404)); !strings.Contains(got, "index_not_found") {
		t.Errorf("other (not chosen) on the standby: %s", got)
	}
	st1 := sync.Stats()
	if st1.LastGoodSnapshot != rep.Snapshot || !st1.LastGood.Equal(rep.Started) || st1.LastError != nil ||
		st1.Cycles != 1 || st1.Failures != 0 || st1.LastRestored != 2 || st1.Running || st1.LastDuration <= 0 {
		t.Errorf("Stats after cycle 1: %+v", st1)
	}

	// 2: added, updated and deleted documents follow, over the standby's existing copy.
	bulk(primary, "logs-a", 200, 250, "v1")
	bulk(primary, "logs-a", 0, 5, "v2")
	bulk(primary, "logs-b", 10, 20, "v1")
	for i := 100; i < 120; i++ {
		do(primary, http.MethodDelete, fmt.Sprintf("/logs-a/_doc/d%d", i), "")
	}
	do(primary, http.MethodPost, "/logs-a/_refresh", "")
	phases := watchPhases(sync)
	_, err = sync.Cycle(ctx, Forward)
	t.Logf("cycle 2 phases seen: %q", phases())
	if err != nil {
		t.Fatalf("cycle 2: %v", err)
	}
	// The in-place restore keeps the files of segments the snapshot has unchanged: all of
	// append-only logs-b's old segment; none of logs-a's, whose one old segment took
	// updates and deletes (a changed segment is copied whole).
	for _, idx := range []string{"logs-a", "logs-b"} {
		var rec map[string]struct {
			Shards []struct {
				Index struct{ Files struct{ Total, Reused int } } `json:"index"`
			} `json:"shards"`
		}
		if err := json.Unmarshal(do(standby, http.MethodGet, "/"+idx+"/_recovery", ""), &rec); err != nil {
			t.Fatal(err)
		}
		for i, sh := range rec[idx].Shards {
			t.Logf("cycle 2: %s shard %d restored with %d of %d files reused", idx, i, sh.Index.Files.Reused, sh.Index.Files.Total)
			if idx == "logs-b" && sh.Index.Files.Reused == 0 {
				t.Errorf("cycle 2: append-only %s shard %d reused no file of the previous restore", idx, i)
			}
		}
	}
	if n := count(standby, "logs-b"); n != 20 {
		t.Errorf("standby logs-b after cycle 2: %d documents, want 20", n)
	}
	if n := count(standby, "logs-a"); n != 230 {
		t.Errorf("standby logs-a after cycle 2: %d documents, want 230", n)
	}
	for id, want := range map[string]string{"d0": "v2", "d4": "v2", "d5": "v1", "d110": "(absent)", "d249": "v1"} {
		if got := docTag(standby, "logs-a", id); got != want {
			t.Errorf("standby logs-a/%s after cycle 2: %q, want %q", id, got, want)
		}
	}

	// 3: only the newest Keep snapshots stay.
	if rep, err = sync.Cycle(ctx, Forward); err != nil {
		t.Fatalf("cycle 3: %v", err)
	}
	var list struct{ Snapshots []struct{ Snapshot string } }
	if err := json.Unmarshal(do(primary, http.MethodGet, "/_snapshot/esdr-sync/_all", ""), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Snapshots) != 2 || rep.Pruned != 1 || rep.PruneErr != nil {
		t.Errorf("after cycle 3: %d snapshots in the repository (%+v), pruned %d (%v); want 2 and 1", len(list.Snapshots), list, rep.Pruned, rep.PruneErr)
	}
	reverse(t, ctx, sync, primary, standby, do, bulk, count, docTag)
	good := sync.Stats()

	// A repository gone from disk: the snapshot fails, is reported, the age grows.
	loc := filepath.Join(root, "r")
	if err := os.RemoveAll(loc); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(loc, []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = sync.Cycle(ctx, Forward)
	t.Logf("cycle with the repository gone: %v", err)
	st := sync.Stats()
	if err == nil || !strings.Contains(err.Error(), "primary") || st.LastError == nil || st.Failures != 1 ||
		st.LastGood != good.LastGood || st.Age <= good.Age {
		t.Errorf("cycle with the repository gone: %v; Stats %+v", err, st)
	}

	// A dead standby: the cycle fails naming it, the age keeps growing.
	if err := standbyCluster.Kill(); err != nil {
		t.Fatal(err)
	}
	_, err = sync.Cycle(ctx, Forward)
	t.Logf("cycle with the standby dead: %v", err)
	st2 := sync.Stats()
	if err == nil || !strings.Contains(err.Error(), "snapshot: standby: ") || !strings.Contains(err.Error(), "connection refused") ||
		st2.Failures != 2 || st2.LastGood != good.LastGood || st2.Age <= st.Age || st2.Cycles != 7 {
		t.Errorf("cycle with the standby dead: %v; Stats %+v", err, st2)
	}
}

// watchPhases samples s.Stats().Phase every few milliseconds until the returned function
// is called, which gives the distinct phases seen, in order.
func watchPhases(s *Sync) func() []string {
	stop, done := make(chan struct{}), make(chan []string)
	go func() {
		var seen []string
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				done <- seen
				return
			case <-tick.C:
				if p := s.Stats().Phase; p != "" && (len(seen) == 0 || seen[len(seen)-1] != p) {
					seen = append(seen, p)
				}
			}
		}
	}()
	return func() []string { close(stop); return <-done }
}
