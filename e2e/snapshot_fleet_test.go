package e2e

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esdr/esdr/testbed"
)

// TestSnapshotSyncInAFleet runs snapshot_sync in a three-member fleet, with an interval
// of an hour so that only the first cycle of each term and esdr snapshot sync-now run
// one: the leader alone takes and restores snapshots (the others say they are not
// leading, run none, and refuse sync-now), sync-now --wait on the leader brings
// documents indexed directly on the primary to the standby, and when the leader is
// killed (-9) the next one runs the sync once the dead leader's session has surely
// ended.
func TestSnapshotSyncInAFleet(t *testing.T) {
	p := clusters(t, "opensearch2")
	ctx := context.Background()
	for _, c := range []*testbed.Cluster{p.primary, p.standby} {
		if st, b, err := esOf(t, c).Do(ctx, http.MethodDelete, "/"+snapIndex, nil); err != nil || (st != 200 && st != 404) {
			t.Fatalf("delete %s: %d %s %v", snapIndex, st, b, err)
		}
	}
	putDocs(t, p.primary, 0, 20)
	location := filepath.Join(sharedRepo(t, "opensearch2"), "esdr-e2e-fleet")
	f := startFleet(t, p, func([]string) string {
		return fmt.Sprintf(`snapshot_sync:
  repository:
    name: esdr-e2e-fleet
    type: fs
    settings: {location: %s}
  indices: ["esdr-snap-*"]
  interval: 1h
  poll_interval: 200ms
  keep: 2
  index_settings: {index.number_of_replicas: "0"}
`, location)
	})
	lead := f.leader(detectBound)
	first := waitSynced(f.members[lead], p.standby, 20, "")
	for _, i := range f.others(lead) {
		st, ok := fleetStatus(f.members[i])
		if !ok || st.Snapshot == nil || st.Fleet.Leading || st.Snapshot.Running || st.Snapshot.Cycles != 0 ||
			!strings.Contains(st.Snapshot.Paused, "not leading") {
			t.Fatalf("%s, not leading, has snapshot status %+v: want no cycle and paused as not leading", f.names[i], st.Snapshot)
		}
	}

	other := f.others(lead)[0]
	if v, ok := f.members[lead].metric("esdr_snapshot_leading"); !ok || v != 1 {
		t.Errorf("esdr_snapshot_leading on the leader %s = %v (found %v), want 1", f.names[lead], v, ok)
	}
	if v, ok := f.members[other].metric("esdr_snapshot_leading"); !ok || v != 0 {
		t.Errorf("esdr_snapshot_leading on %s, not leading = %v (found %v), want 0", f.names[other], v, ok)
	}
	if out, code := f.members[other].cli("snapshot", "sync-now"); code != 1 || !strings.Contains(out, "not leading") ||
		!strings.Contains(out, f.names[lead]+" leads") {
		t.Fatalf("esdr snapshot sync-now on %s, not leading (exit %d): %s; want exit 1 naming why and the leader", f.names[other], code, out)
	}

	putDocs(t, p.primary, 20, 10)
	out, code := f.members[lead].cli("snapshot", "sync-now", "--wait", "--within", syncBound.String())
	if code != 0 || countOn(t, p.standby) != 30 {
		t.Fatalf("esdr snapshot sync-now --wait on the leader (exit %d): %s; the standby holds %d documents, want 30",
			code, out, countOn(t, p.standby))
	}
	t.Logf("sync-now: %s", strings.TrimSpace(out))

	putDocs(t, p.primary, 30, 10)
	f.members[lead].Kill()
	next := f.leader(fleetTTL + detectBound)
	second := waitSynced(f.members[next], p.standby, 40, first.LastGoodSnapshot)
	t.Logf("leaders %s → %s; the new leader restored %s", f.names[lead], f.names[next], second.LastGoodSnapshot)
	for _, i := range f.others(next) {
		if st, ok := fleetStatus(f.members[i]); !ok || st.Snapshot == nil || st.Snapshot.Running {
			t.Errorf("%s, not leading, runs a cycle: %+v", f.names[i], st.Snapshot)
		}
	}
}
