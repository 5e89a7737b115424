package snapshot

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/esdr/esdr/internal/esclient"
)

// reverse is TestSyncPeer's failover and failback: the standby takes writes around esdr
// while the primary, fenced, waits; once the fence is lifted a Reverse cycle keeps the
// primary's own copy (with a write the last forward cycle missed), moves the writer and
// restores the standby's indices over the primary's; a Forward cycle moves it back.
func reverse(t *testing.T, ctx context.Context, sync *Sync, primary, standby *esclient.Client,
	do func(c *esclient.Client, method, path, body string, want ...int) []byte,
	bulk func(c *esclient.Client, index string, from, to int, tag string),
	count func(c *esclient.Client, index string) int,
	docTag func(c *esclient.Client, index, id string) string) {
	t.Helper()
	regOf := func(c *esclient.Client) string {
		var got map[string]struct{ Settings map[string]any }
		if err := json.Unmarshal(do(c, http.MethodGet, "/_snapshot/esdr-sync", ""), &got); err != nil {
			t.Fatal(err)
		}
		if sameValue(got["esdr-sync"].Settings["readonly"], true) {
			return "read-only"
		}
		return "writable"
	}
	fence := func(c *esclient.Client, on bool) {
		v := "null"
		if on {
			v = "true"
		}
		do(c, http.MethodPut, "/_cluster/settings", `{"persistent":{"cluster.blocks.read_only":`+v+`}}`)
	}
	// The primary's tail the last forward cycle missed; then the failover fences it, and
	// the standby takes writes.
	bulk(primary, "logs-b", 20, 21, "tail")
	fence(primary, true)
	bulk(standby, "logs-a", 300, 340, "after-failover")
	bulk(standby, "logs-b", 100, 105, "after-failover")
	cycles := sync.Stats().Cycles

	rep, err := sync.Cycle(ctx, Reverse)
	if !errors.Is(err, ErrFenced) || sync.Stats().Cycles != cycles || regOf(primary) != "writable" {
		t.Fatalf("reverse cycle towards the fenced primary: %v (%+v); registration %s", err, sync.Stats(), regOf(primary))
	}
	fence(primary, false) // esdr resync --to primary
	if rep, err = sync.Cycle(ctx, Reverse); err != nil {
		t.Fatalf("reverse cycle: %v", err)
	}
	t.Logf("reverse cycle: kept %s, restored %v", rep.Kept, rep.Restored)
	if !strings.HasPrefix(rep.Kept, "esdr-sync.kept-") || rep.From != "standby" || rep.To != "primary" ||
		regOf(primary) != "read-only" || regOf(standby) != "writable" || sync.Stats().Waiting != "" {
		t.Errorf("after the reverse cycle: %+v; primary %s, standby %s", rep, regOf(primary), regOf(standby))
	}
	for idx, want := range map[string]int{"logs-a": 270, "logs-b": 25} {
		if n, m := count(primary, idx), count(standby, idx); n != want || m != want {
			t.Errorf("%s after the reverse cycle: %d documents on the primary, %d on the standby; want %d", idx, n, m, want)
		}
	}
	if got := docTag(primary, "logs-b", "d20"); got != "(absent)" {
		t.Errorf("the primary's tail after the restore over it: %q (the standby's copy has none)", got)
	}
	var kept snapshotInfo
	if err := json.Unmarshal(do(standby, http.MethodGet, "/_snapshot/esdr-sync/"+rep.Kept, ""), &kept); err != nil {
		t.Fatal(err)
	}
	if len(kept.Snapshots) != 1 || kept.Snapshots[0].State != "SUCCESS" || !slices.Contains(kept.Snapshots[0].Indices, "logs-b") {
		t.Errorf("kept snapshot: %+v", kept)
	}
	// The tail is in the kept snapshot: restored under another name, it has d20.
	do(standby, http.MethodPost, "/_snapshot/esdr-sync/"+rep.Kept+"/_restore?wait_for_completion=true",
		`{"indices":"logs-b","rename_pattern":"logs-b","rename_replacement":"kept-logs-b","index_settings":{"index.number_of_replicas":0}}`)
	if got := docTag(standby, "kept-logs-b", "d20"); got != "tail" {
		t.Errorf("the primary's tail in the kept snapshot: %q", got)
	}
	do(standby, http.MethodDelete, "/kept-logs-b", "")

	// Failback: the primary is active again, the writer moves back with a kept snapshot
	// of the standby's copy, and the forward cycle carries the primary's new writes.
	bulk(primary, "logs-a", 400, 410, "after-failback")
	if rep, err = sync.Cycle(ctx, Forward); err != nil {
		t.Fatalf("forward cycle after the failback: %v", err)
	}
	if rep.Kept == "" || regOf(primary) != "writable" || regOf(standby) != "read-only" {
		t.Errorf("after the failback cycle: %+v; primary %s, standby %s", rep, regOf(primary), regOf(standby))
	}
	if n := count(standby, "logs-a"); n != 280 {
		t.Errorf("standby logs-a after the failback cycle: %d documents, want 280", n)
	}
	var all snapshotInfo
	if err := json.Unmarshal(do(primary, http.MethodGet, "/_snapshot/esdr-sync/_all", ""), &all); err != nil {
		t.Fatal(err)
	}
	var kepts int
	for _, sn := range all.Snapshots {
		if strings.Contains(sn.Snapshot, ".kept-") {
			kepts++
		}
	}
	if kepts != 2 || sync.Stats().KeptInRepository != 2 {
		t.Errorf("%d kept snapshots in the repository after two prunes (Stats: %d), want 2: %+v", kepts, sync.Stats().KeptInRepository, all)
	}
}
