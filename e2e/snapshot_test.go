package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/testbed"
)

const snapIndex = "esdr-snap-logs"

// syncBound bounds the wait for a snapshot sync cycle on the test bed (snapshot and
// restore of one small index): a safety net, not a performance assertion.
const syncBound = 2 * time.Minute

// TestSnapshotSync runs esdr with snapshot_sync on the shared pair (an fs repository
// under both clusters' path.repo): documents indexed directly on the primary, around
// esdr, appear on the standby after a cycle, later ones after a later cycle, esdr status
// (JSON and text) and the metrics show the last good snapshot. A failover turns the sync
// round with the standby's copy open and whole; the old primary returns fenced and the
// sync waits; esdr resync lifts the fence, keeps the old primary's copy in a snapshot
// and restores the standby's, with what it took around esdr meanwhile.
func TestSnapshotSync(t *testing.T) {
	p := clusters(t, "opensearch2")
	ctx := context.Background()
	for _, c := range []*testbed.Cluster{p.primary, p.standby} {
		if st, b, err := esOf(t, c).Do(ctx, http.MethodDelete, "/"+snapIndex, nil); err != nil || (st != 200 && st != 404) {
			t.Fatalf("delete %s: %d %s %v", snapIndex, st, b, err)
		}
	}
	putDocs(t, p.primary, 0, 20)
	location := filepath.Join(sharedRepo(t, "opensearch2"), "esdr-e2e")
	s := defaults()
	s.extra = fmt.Sprintf(`snapshot_sync:
  repository:
    name: esdr-e2e
    type: fs
    settings: {location: %s}
  indices: ["esdr-snap-*"]
  interval: 2s
  poll_interval: 200ms
  keep: 2
  index_settings: {index.number_of_replicas: "0"}
`, location)
	e := startEsdr(t, p, s)
	e.waitActive("primary", 1, detectBound)

	first := waitSynced(e, p.standby, 20, "")
	putDocs(t, p.primary, 20, 10)
	second := waitSynced(e, p.standby, 30, first.LastGoodSnapshot)
	if !second.LastGood.After(*first.LastGood) || second.Restored < 2 {
		t.Errorf("second good cycle: %+v after %+v", second, first)
	}

	out, code := e.cli("status", "--json")
	var st admin.Status
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.Snapshot == nil ||
		st.Snapshot.LastGoodSnapshot == "" || st.Snapshot.LastGood == nil || st.Snapshot.From != "primary" {
		t.Fatalf("esdr status --json (exit %d): snapshot section missing or empty:\n%s", code, out)
	}
	t.Logf("status: last good %s at %s, age %.1fs, %d cycles, %d failed",
		st.Snapshot.LastGoodSnapshot, st.Snapshot.LastGood, st.Snapshot.AgeSeconds, st.Snapshot.Cycles, st.Snapshot.Failures)
	if out, code := e.cli("status"); code != 0 || !strings.Contains(out, "snapshot sync:") || !strings.Contains(out, "last good:") {
		t.Errorf("esdr status (exit %d) lacks the snapshot section:\n%s", code, out)
	}
	if n, ok := e.metric("esdr_snapshot_cycles_total"); !ok || n < 2 {
		t.Errorf("esdr_snapshot_cycles_total = %v (found %v), want at least 2", n, ok)
	}
	if _, ok := e.metric("esdr_snapshot_last_good_age_seconds"); !ok {
		t.Error("esdr_snapshot_last_good_age_seconds not exported")
	}

	// A failover turns the sync round: the standby, now taking writes, is snapshotted and
	// restored on the old primary. The standby keeps its last copy, open.
	if err := p.primary.Kill(); err != nil {
		t.Fatal(err)
	}
	e.waitActive("standby", 2, detectBound)
	if n := countOn(t, p.standby); n != 30 {
		t.Errorf("the standby holds %d documents after the failover, want 30", n)
	}
	putDocs(t, p.standby, 30, 5) // around esdr, on the cluster now active
	// The old primary returns; esdr fences it, and the sync waits for the fence's lift.
	restartCluster(t, p.primary)
	e.eventually("the sync waits for the fenced old primary", detectBound, func() bool {
		st, err := e.Client.Status(context.Background())
		return err == nil && st.Snapshot != nil && st.Snapshot.From == "standby" && st.Snapshot.To == "primary" &&
			strings.Contains(st.Snapshot.Paused, "cluster.blocks.read_only=true")
	})
	// Its copy is there once its shards have recovered from its own disk.
	e.eventually("the fenced old primary's own 30 documents", detectBound, func() bool { return countOn(t, p.primary) == 30 })
	out, code = e.cli("resync", "--to", "primary", "--wait", "2m")
	t.Logf("esdr resync --to primary (exit %d):\n%s", code, out)
	if code != 0 || !strings.Contains(out, "kept as snapshot esdr-sync.kept-") || !strings.Contains(out, "Next: esdr switchover --to primary") {
		t.Errorf("esdr resync --to primary: exit %d", code)
	}
	if n := countOn(t, p.primary); n != 35 {
		t.Errorf("after esdr resync the old primary holds %d documents, want the standby's 35", n)
	}
	if out, code := e.cli("status"); code != 0 || !strings.Contains(out, "standby -> primary") || !strings.Contains(out, "kept:") {
		t.Errorf("esdr status (exit %d) after the resync:\n%s", code, out)
	}
	for _, line := range strings.Split(e.Output(), "\n") {
		if strings.Contains(line, "snapshot: cycle failed") {
			t.Logf("esdr: %s", line) // a failed cycle is retried; say why it failed
		}
	}
}

// putDocs indexes n documents with explicit ids from first on, directly on c.
func putDocs(t *testing.T, c *testbed.Cluster, first, n int) {
	t.Helper()
	var body strings.Builder
	for i := first; i < first+n; i++ {
		fmt.Fprintf(&body, "{\"index\":{\"_index\":%q,\"_id\":\"doc-%d\"}}\n{\"n\":%d}\n", snapIndex, i, i)
	}
	st, b, err := esOf(t, c).Do(context.Background(), http.MethodPost, "/_bulk?refresh=true", strings.NewReader(body.String()))
	if err != nil || st != 200 || strings.Contains(string(b), `"errors":true`) {
		t.Fatalf("bulk on %s: %d %.300s %v", c.Name, st, b, err)
	}
}

// waitSynced waits for a good cycle other than after whose restore left want documents
// in the standby's copy, and returns the snapshot section of the status then.
func waitSynced(e *esdr, standby *testbed.Cluster, want int, after string) *admin.SnapshotStatus {
	e.t.Helper()
	var last *admin.SnapshotStatus
	e.eventually(fmt.Sprintf("%d documents on the standby by a snapshot after %q", want, after), syncBound, func() bool {
		st, err := e.Client.Status(context.Background())
		if err != nil || st.Snapshot == nil || st.Snapshot.LastGood == nil || st.Snapshot.LastGoodSnapshot == after {
			return false
		}
		last = st.Snapshot
		return countOn(e.t, standby) == want
	})
	e.t.Logf("%d documents on the standby from %s (%d cycles, %d failed, last error %q)",
		want, last.LastGoodSnapshot, last.Cycles, last.Failures, last.LastError)
	return last
}

// countOn is the number of documents in the synced index on c, -1 while it cannot say.
func countOn(t *testing.T, c *testbed.Cluster) int {
	st, b, err := esOf(t, c).Do(context.Background(), http.MethodGet, "/"+snapIndex+"/_count", nil)
	if err != nil || st != 200 {
		return -1
	}
	var r struct {
		Count int `json:"count"`
	}
	if json.Unmarshal(b, &r) != nil {
		return -1
	}
	return r.Count
}
