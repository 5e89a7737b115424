package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/testbed"
)

// Indices of TestMirrorRestart: the standby maps n as an integer, strictly; the primary
// maps it dynamically, so a write with a text n is acknowledged by the primary and
// refused for good by the standby (HTTP 400 mapper_parsing_exception).
const (
	restartFixIndex  = "esdr-restart-fix"
	restartSkipIndex = "esdr-restart-skip"
	strictMapping    = `{"settings":{"number_of_replicas":0},"mappings":{"dynamic":"strict","properties":{"n":{"type":"integer"}}}}`
)

// TestMirrorRestart: a record the standby refuses for good stops replication to it;
// esdr status says where. (a) Once the standby's mapping is fixed, esdr mirror restart
// resumes at that record and it arrives. (b) A second refused record stops replication
// again; --skip of any other seq is refused naming the right one, and --skip of that
// seq drops exactly it: the writes behind it arrive, it does not, and an event names it.
// esdr is never restarted.
func TestMirrorRestart(t *testing.T) {
	p := clusters(t, "opensearch2")
	e := startSettled(t, p, mirrorSettings())
	for _, idx := range []string{restartFixIndex, restartSkipIndex} {
		createIndex(t, p.primary, idx, `{"settings":{"number_of_replicas":1}}`)
		createIndex(t, p.standby, idx, strictMapping)
	}

	// (a) fix the cause, then restart.
	putDoc(t, e.proxyURL, restartFixIndex, "bad-1", `{"n":"not a number"}`)
	seq1 := waitStopped(e, 0)
	if st := e.status().Mirror; !strings.Contains(st.Stopped, "mapper_parsing_exception") {
		t.Errorf("stopped for another reason than the mapping: %s", st.Stopped)
	}
	if out, code := e.cli("mirror", "restart", "--skip", fmt.Sprint(seq1+1)); code != 1 || !strings.Contains(out, fmt.Sprintf("stopped at seq %d", seq1)) {
		t.Errorf("restart skipping seq %d, not the one it stopped at: exit %d %s", seq1+1, code, out)
	}
	deleteIndex(t, p.standby, restartFixIndex)
	createIndex(t, p.standby, restartFixIndex, `{"settings":{"number_of_replicas":0},"mappings":{"properties":{"n":{"type":"keyword"}}}}`)
	out, code := e.cli("mirror", "restart")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("replication to standby restarted from seq %d", seq1)) {
		t.Fatalf("restart after the fix: exit %d %s", code, out)
	}
	t.Logf("esdr mirror restart: %s", out)
	e.eventually("the fixed record on the standby", time.Minute, func() bool { return docStatus(t, p.standby, restartFixIndex, "bad-1") == 200 })
	waitReplicating(e)

	// (b) skip the refused record explicitly.
	putDoc(t, e.proxyURL, restartSkipIndex, "bad-2", `{"n":"not a number either"}`)
	seq2 := waitStopped(e, seq1)
	var ids []string
	for i := range 3 {
		ids = append(ids, fmt.Sprintf("good-%d", i))
		putDoc(t, e.proxyURL, restartSkipIndex, ids[i], `{"n":1}`)
	}
	if out, code := e.cli("mirror", "restart", "--to", "standby", "--skip", fmt.Sprint(seq2+1)); code != 1 ||
		!strings.Contains(out, fmt.Sprintf("stopped at seq %d; only that record can be skipped", seq2)) {
		t.Errorf("restart skipping seq %d, behind the refused one: exit %d %s", seq2+1, code, out)
	}
	out, code = e.cli("mirror", "restart", "--to", "standby", "--skip", fmt.Sprint(seq2))
	if code != 0 || !strings.Contains(out, fmt.Sprintf("seq %d skipped for standby: PUT /%s/_doc/bad-2", seq2, restartSkipIndex)) ||
		!strings.Contains(out, fmt.Sprintf("restarted from seq %d; it lacks 3 journaled writes", seq2+1)) {
		t.Fatalf("restart skipping seq %d: exit %d %s", seq2, code, out)
	}
	t.Logf("esdr mirror restart --skip: %s", out)
	waitReplicating(e)
	checkHolds(t, p.standby, restartSkipIndex, "the standby", ids)
	if st := docStatus(t, p.standby, restartSkipIndex, "bad-2"); st != 404 {
		t.Errorf("the skipped record on the standby: GET answered %d, want 404", st)
	}
	e.eventually("the skip and both stops as events", time.Minute, func() bool {
		skips, stops := 0, 0
		for _, ev := range e.events() {
			switch {
			case strings.Contains(ev.Message, fmt.Sprintf("seq %d SKIPPED for standby", seq2)) && strings.Contains(ev.Message, "id bad-2") &&
				strings.Contains(ev.Message, "acknowledged"):
				skips++
			case strings.Contains(ev.Message, "replication to standby STOPPED"):
				stops++
			}
		}
		return skips == 1 && stops == 2
	})
}

// waitStopped waits until esdr status says replication to the standby stopped at a
// refused record past after, and returns its seq.
func waitStopped(e *esdr, after uint64) uint64 {
	e.t.Helper()
	var seq uint64
	e.eventually(fmt.Sprintf("replication to the standby stopped past seq %d", after), time.Minute, func() bool {
		st := e.status().Mirror
		seq = st.StoppedAt["standby"]
		return strings.Contains(st.Stopped, "to standby: ") && seq > after
	})
	return seq
}

// waitReplicating waits until replication to the standby runs and it lacks nothing.
func waitReplicating(e *esdr) {
	e.t.Helper()
	e.eventually("the standby caught up, replication running", time.Minute, func() bool {
		st := e.status().Mirror
		return st.Stopped == "" && st.StoppedAt == nil && st.Pending["standby"] == 0
	})
}

// putDoc writes one document through esdr's proxy; the primary must acknowledge it.
func putDoc(t *testing.T, proxyURL, index, id, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, proxyURL+"/"+index+"/_doc/"+id, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated && res.StatusCode != http.StatusOK {
		t.Fatalf("write %s/%s through the proxy: HTTP %d", index, id, res.StatusCode)
	}
}

func createIndex(t *testing.T, c *testbed.Cluster, index, body string) {
	t.Helper()
	st, b, err := esOf(t, c).Do(context.Background(), http.MethodPut, "/"+index+"?wait_for_active_shards=1", strings.NewReader(body))
	if err != nil || st != http.StatusOK {
		t.Fatalf("create %s on %s: %d %s %v", index, c.Name, st, b, err)
	}
}

func deleteIndex(t *testing.T, c *testbed.Cluster, index string) {
	t.Helper()
	if st, b, err := esOf(t, c).Do(context.Background(), http.MethodDelete, "/"+index, nil); err != nil || st != http.StatusOK {
		t.Fatalf("delete %s on %s: %d %s %v", index, c.Name, st, b, err)
	}
}

// docStatus is the HTTP status of a realtime GET of one document on c.
func docStatus(t *testing.T, c *testbed.Cluster, index, id string) int {
	st, _, err := esOf(t, c).Do(context.Background(), http.MethodGet, "/"+index+"/_doc/"+id, nil)
	if err != nil {
		return 0
	}
	return st
}
