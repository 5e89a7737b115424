package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/testbed"
	"github.com/esdr/esdr/testbed/poll"
)

// TestMirrorFailover: writes (single and _bulk, explicit ids) and searches through the
// proxy with mirror mode on; every primary node is killed mid-stream. After the failover
// the standby holds every write any client was told succeeded, whichever cluster took
// it; once the old primary is back, it gets the writes the standby took (failback resync).
func TestMirrorFailover(t *testing.T) {
	p := clusters(t, "opensearch2")
	freshMirrorIndex(t, p)
	e := startSettled(t, p, mirrorSettings())

	byEpoch, failed := mirrorStream(t, e.proxyURL, false, func() {
		moreDocs(t, p.primary, 50)
		if err := p.primary.Kill(); err != nil {
			t.Fatal(err)
		}
		e.waitActive("standby", 2, detectBound)
		moreDocs(t, p.standby, 50)
	})
	acked := byCluster(byEpoch)
	t.Logf("acknowledged: %d by primary, %d by standby; %d writes failed", len(acked["primary"]), len(acked["standby"]), failed)
	if len(acked["primary"]) == 0 || len(acked["standby"]) == 0 {
		t.Fatalf("want writes acknowledged by both clusters, got %v", map[string]int{"primary": len(acked["primary"]), "standby": len(acked["standby"])})
	}
	checkHolds(t, p.standby, mirrorIndex, "the standby", allIDs(acked))
	st := e.status()
	if st.Mirror == nil || st.Mirror.Pending["standby"] != 0 {
		t.Fatalf("status after failover: %+v", st.Mirror)
	}
	if out, _ := e.cli("status"); !strings.Contains(out, "mirror:") || !strings.Contains(out, "primary lacks:") {
		t.Errorf("esdr status prints no mirror section:\n%s", out)
	}

	// The old primary comes back, fenced (read-only) by esdr: the writes the standby took
	// wait in the journal, and status shows what it lacks. esdr resync (the failback
	// resync) lifts its fence while the standby stays active, replays those writes and
	// compares the counts of the mirrored index; only then does the switchover back run.
	restartCluster(t, p.primary)
	e.waitVerdict("primary", "up", detectBound)
	if st := e.status(); st.Mirror == nil || st.Mirror.Pending["primary"] == 0 {
		t.Fatalf("the old primary lacks nothing before the switchover back: %+v", st.Mirror)
	}
	var status string
	poll.Eventually(t, "esdr status naming the old primary's fence and esdr resync", 30*time.Second, func() bool {
		status, _ = e.cli("status")
		return strings.Contains(status, "primary is read-only:") && strings.Contains(status, "esdr resync --to primary")
	}, func() string { return status })
	if out, code := e.cli("resync", "--to", "standby"); code == 0 || !strings.Contains(out, "resync_active") {
		t.Errorf("resync of the active cluster: exit %d\n%s", code, out)
	}
	// Writes whose client got an error (the outcome unknown when the primary died
	// mid-request) may be on the primary and in no journal: at most that many extra.
	out, code := e.cli("resync", "--to", "primary", "--index", mirrorIndex, "--wait", "2m", "--json")
	var cmp admin.CountComparison
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, `{"active"`) {
			_ = json.Unmarshal([]byte(line), &cmp)
		}
	}
	if code != 0 || len(cmp.Indices) != 1 || len(cmp.Lacks) != 0 {
		t.Fatalf("esdr resync --to primary: exit %d\n%s", code, out)
	}
	if ic := cmp.Indices[0]; ic.Target-ic.Active > int64(failed) || ic.Active < int64(len(allIDs(acked))) {
		t.Errorf("after the resync the primary holds %d documents, the standby %d: want at most the %d failed writes more, and at least the %d acknowledged",
			ic.Target, ic.Active, failed, len(allIDs(acked)))
	}
	t.Logf("esdr resync:\n%s", out)
	if st := e.status(); st.State.Active != "standby" || st.Mirror.Pending["primary"] != 0 {
		t.Fatalf("after the resync: active %s, primary lacks %d", st.State.Active, st.Mirror.Pending["primary"])
	}
	checkHolds(t, p.primary, mirrorIndex, "the old primary, resynced before the switchover back", allIDs(acked))
	if out, code := e.cli("switchover", "--to", "primary"); code != 0 {
		t.Fatalf("switchover back: %d %s", code, out)
	}
	e.waitActive("primary", 3, detectBound)
	waitPending(e, "primary", recoverBound)
	checkHolds(t, p.primary, mirrorIndex, "the old primary", allIDs(acked))
}

// TestMirrorCrash: esdr is killed -9 mid-stream and restarted on the same journal:
// nothing acknowledged is lost, and the standby ends with every acknowledged write.
func TestMirrorCrash(t *testing.T) {
	p := clusters(t, "opensearch2")
	freshMirrorIndex(t, p)
	e := startSettled(t, p, mirrorSettings())

	byEpoch, failed := mirrorStream(t, e.proxyURL, true, func() {
		moreDocs(t, p.primary, 50)
		e.Kill()
		e.StartT(t)
		if !strings.Contains(e.Output(), "mirror: journal opened") {
			t.Errorf("the restarted esdr did not report its journal:\n%s", e.Log(20))
		}
		moreDocs(t, p.primary, 50)
	})
	acked := byCluster(byEpoch)
	t.Logf("acknowledged: %d by primary; %d writes failed around the crash", len(acked["primary"]), failed)
	if len(acked["primary"]) == 0 || len(acked) != 1 {
		t.Fatalf("acknowledged by %v, want the primary only", acked)
	}
	waitPending(e, "standby", recoverBound)
	checkHolds(t, p.standby, mirrorIndex, "the standby", acked["primary"])
	checkHolds(t, p.primary, mirrorIndex, "the primary", acked["primary"])
	if b, err := json.Marshal(e.status().Mirror); err == nil && bytes.Contains(b, []byte(`"stopped"`)) {
		t.Errorf("replication stopped: %s", b)
	}
}

// setReadOnly sets or lifts cluster.blocks.read_only on c directly.
func setReadOnly(t *testing.T, c *testbed.Cluster, on bool) {
	t.Helper()
	v := "null"
	if on {
		v = "true"
	}
	body := `{"persistent":{"cluster.blocks.read_only":` + v + `}}`
	if st, b, err := esOf(t, c).Do(context.Background(), http.MethodPut, "/_cluster/settings", strings.NewReader(body)); err != nil || st != 200 {
		t.Fatalf("cluster.blocks.read_only=%s: %d %s %v", v, st, b, err)
	}
}

// TestMirrorLagRefusesFailover: the standby answers its health checks but refuses the
// replay (read-only), so it lags past mirror.max_lag_on_failover; the primary dies. The
// automatic failover is refused with the lag in the reason. Once the standby takes the
// replay again it catches up, the failover goes ahead, and nothing acknowledged is lost.
func TestMirrorLagRefusesFailover(t *testing.T) {
	p := clusters(t, "opensearch2")
	freshMirrorIndex(t, p)
	s := mirrorSettings()
	s.extra += "  max_lag_on_failover: 5\n"
	e := startSettled(t, p, s)

	setReadOnly(t, p.standby, true)
	t.Cleanup(func() { setReadOnly(t, p.standby, false) })
	var ids []string
	for i := range 20 {
		id := fmt.Sprintf("lag-%d", i)
		req, _ := http.NewRequest(http.MethodPut, e.proxyURL+"/"+mirrorIndex+"/_doc/"+id, strings.NewReader(`{"n":1}`))
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 201 {
			t.Fatalf("write %s: HTTP %d", id, res.StatusCode)
		}
		ids = append(ids, id)
	}
	if err := p.primary.Kill(); err != nil {
		t.Fatal(err)
	}
	e.eventually("failover refused for the lag", detectBound, func() bool {
		d := e.status().LastDecision
		return d.Code == "standby-lagging" && strings.Contains(d.Reason, "standby lacks 20 journaled writes")
	})
	if st := e.status(); st.State.Active != "primary" || st.State.Epoch != 1 {
		t.Fatalf("failed over to a lagging standby: %+v", st.State)
	}
	setReadOnly(t, p.standby, false)
	e.waitActive("standby", 2, detectBound)
	checkHolds(t, p.standby, mirrorIndex, "the standby", ids)
	restartCluster(t, p.primary)
}

// TestMirrorSwitchover: planned switchovers under load, to the standby and back. Writes
// to the new active cluster wait until it holds every journaled write meant for it, so
// after each switchover both clusters end with every acknowledged write.
func TestMirrorSwitchover(t *testing.T) {
	p := clusters(t, "opensearch2")
	freshMirrorIndex(t, p)
	e := startSettled(t, p, mirrorSettings())

	switchTo := func(cluster string, epoch uint64) {
		if out, code := e.cli("switchover", "--to", cluster); code != 0 {
			t.Fatalf("switchover to %s: %d %s", cluster, code, out)
		}
		e.waitActive(cluster, epoch, detectBound)
	}
	byEpoch, failed := mirrorStream(t, e.proxyURL, false, func() {
		moreDocs(t, p.primary, 50)
		switchTo("standby", 2)
		moreDocs(t, p.standby, 50)
		switchTo("primary", 3)
		moreDocs(t, p.primary, 50)
	})
	acked := byCluster(byEpoch)
	t.Logf("acknowledged: %d by primary, %d by standby; %d writes failed", len(acked["primary"]), len(acked["standby"]), failed)
	if len(byEpoch["primary@1"]) == 0 || len(byEpoch["standby@2"]) == 0 || len(byEpoch["primary@3"]) == 0 {
		t.Fatalf("want writes acknowledged in each of the three epochs, got %v", map[string]int{
			"primary@1": len(byEpoch["primary@1"]), "standby@2": len(byEpoch["standby@2"]), "primary@3": len(byEpoch["primary@3"])})
	}
	// Each cluster holds every write acknowledged before it last became active, and its
	// own. The standby, fenced by the switchover back, gets epoch 3's writes only once it
	// is made active again.
	checkHolds(t, p.primary, mirrorIndex, "the primary", allIDs(acked))
	checkHolds(t, p.standby, mirrorIndex, "the standby", append(append([]string{}, byEpoch["primary@1"]...), byEpoch["standby@2"]...))
	if st := e.status(); st.Mirror == nil || st.Mirror.Pending["primary"] != 0 {
		t.Errorf("the primary still lacks journaled writes after the switchover back: %+v", st.Mirror)
	}
}
