package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/esdr/esdr/internal/drill"
	"github.com/esdr/esdr/testbed"
)

// drillReport is the part of `esdr drill --json` these tests read.
type drillReport struct {
	Preconditions []drill.Check           `json:"preconditions"`
	Accepted      []drill.AcceptedFinding `json:"accepted_findings"`
	Phases        []drill.Phase           `json:"phases"`
	Retries       map[string]float64      `json:"proxy_retries"`
	Acked         []drill.Verification    `json:"acked_writes"`
	Lost          int                     `json:"acked_writes_lost"`
	Timeline      []drill.Mark            `json:"timeline"`
}

// oneNodeStandby is the audit's error about the test bed's standby: one node, so one
// master-eligible node. It is true and permanent here; the drills accept exactly it.
const oneNodeStandby = "live-masters-too-few"

// drill runs `esdr drill` with esdr's own configuration, accepting the one audit error
// the test bed always has (oneNodeStandby) and no other.
func (e *esdr) drill(t *testing.T, args ...string) (drillReport, string, int) {
	t.Helper()
	return e.drillUnaccepted(t, append([]string{"--accept-finding", oneNodeStandby}, args...)...)
}

// drillUnaccepted runs `esdr drill` accepting no audit finding.
func (e *esdr) drillUnaccepted(t *testing.T, args ...string) (drillReport, string, int) {
	t.Helper()
	full := append([]string{"drill", "-c", e.Config, "--endpoint", e.proxyURL, "--json", "--warmup", "2s", "--settle", "3s", "--wait", "30s"}, args...)
	out, code := e.cli(full...)
	var rep drillReport
	if i := strings.Index(out, "{\n"); i >= 0 {
		_ = json.NewDecoder(strings.NewReader(out[i:])).Decode(&rep)
	}
	return rep, out, code
}

// failedChecks names the preconditions that failed.
func failedChecks(rep drillReport) []string {
	var failed []string
	for _, c := range rep.Preconditions {
		if !c.OK {
			failed = append(failed, c.Name)
		}
	}
	return failed
}

// dropUserIndices deletes the indices earlier tests left on the shared pair (their names
// do not start with a dot), so that the drill's audit judges the pair as the drills leave
// it: an index on the primary alone is a true parity error (parity-index-missing), which
// the drill tests must not accept.
func dropUserIndices(t *testing.T, p pair) {
	t.Helper()
	for _, c := range []*testbed.Cluster{p.primary, p.standby} {
		ixs, err := esOf(t, c).CatIndices(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, ix := range ixs {
			if strings.HasPrefix(ix.Name, ".") {
				continue
			}
			req, _ := http.NewRequest(http.MethodDelete, c.URLs()[0]+"/"+ix.Name, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotFound {
				t.Fatalf("delete %s on %s: HTTP %d", ix.Name, c.Name, resp.StatusCode)
			}
		}
	}
}

func indexExists(t *testing.T, url, index string) bool {
	t.Helper()
	resp, err := http.Head(url + "/" + index)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// logDrill logs a drill's numbers: a record of the run, not an assertion.
func logDrill(t *testing.T, rep drillReport) {
	t.Helper()
	for _, p := range rep.Phases {
		if n := p.Numbers; n != nil {
			t.Logf("%s: RTO %.3fs (%s → %s), %d requests, %d failed reads, %d failed writes, %d acked, p50 %.1fms p99 %.1fms",
				p.Name, n.RTOSeconds, n.Before, n.After, n.Requests, n.FailedReads, n.FailedWrites, n.AckedWrites, n.P50Millis, n.P99Millis)
		}
	}
	t.Logf("proxy retries %v; acknowledged writes lost %d", rep.Retries, rep.Lost)
}

// checkAcked fails t unless every write the samples say was acknowledged is in index on
// the cluster that acknowledged it. Both clusters must answer (restart a killed one first).
func checkAcked(t *testing.T, p pair, index string, samples []drill.Sample) {
	t.Helper()
	for cluster, ids := range drill.Acked(samples) {
		c := map[string]*testbed.Cluster{"primary": p.primary, "standby": p.standby}[cluster]
		if c == nil {
			t.Fatalf("%d writes acknowledged by unknown cluster %q", len(ids), cluster)
		}
		checkHolds(t, c, index, cluster+", which acknowledged them", ids)
	}
}

// checkHolds fails unless index on the cluster holds every id.
func checkHolds(t *testing.T, c *testbed.Cluster, index, name string, ids []string) {
	t.Helper()
	ctx := context.Background()
	if err := drill.WaitIndex(ctx, esOf(t, c), index, "60s"); err != nil {
		t.Fatal(err)
	}
	missing, err := drill.Missing(ctx, esOf(t, c), index, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Fatalf("%d of %d acknowledged writes are missing on %s: %v", len(missing), len(ids), name, missing[:min(5, len(missing))])
	}
}
