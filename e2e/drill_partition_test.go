package e2e

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/esdr/esdr/testbed"
)

// testbedCLI is cmd/testbed built once for the package: the drill's --fault presets run it.
var testbedCLI struct {
	once     sync.Once
	bin, out string
	err      error
}

func testbedBin(t *testing.T) string {
	t.Helper()
	testbedCLI.once.Do(func() {
		root, err := testbed.RepoRoot()
		if err != nil {
			testbedCLI.err = err
			return
		}
		testbedCLI.bin = filepath.Join(filepath.Dir(esdrBin), "testbed")
		cmd := exec.Command("go", "build", "-o", testbedCLI.bin, "./cmd/testbed")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			testbedCLI.err, testbedCLI.out = err, string(out)
		}
	})
	if testbedCLI.err != nil {
		t.Fatalf("build testbed: %v: %s", testbedCLI.err, testbedCLI.out)
	}
	return testbedCLI.bin
}

// TestDrillPartition runs `esdr drill --fault partition` on the test bed: esdr (its
// probes and its proxy) reaches the primary only through a `testbed forward` forwarder,
// the drill's preset switches it to blackhole (the primary keeps running, esdr gets no
// answer: a network partition) and heals it after the load. Traffic must move to the
// standby with no failed read, and every write either cluster acknowledged must be there.
//
// The shared primary is recorded in a state folder of its own so that the testbed
// command can find it; `testbed down` is never run on that folder (it would destroy the
// shared cluster), `testbed unforward` stops the forwarder.
func TestDrillPartition(t *testing.T) {
	p := clusters(t, "opensearch2")
	dropUserIndices(t, p)
	bin, dir := testbedBin(t), t.TempDir()
	if err := testbed.SaveClusters(dir, []*testbed.Cluster{p.primary}); err != nil {
		t.Fatal(err)
	}
	tb := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, append(args, "--dir", dir, "--cluster", p.primary.Name)...).Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("testbed %v: %v: %s", args, err, stderr)
		}
		return string(out)
	}
	t.Cleanup(func() { tb("unforward") }) // after esdr's own cleanup: registered first
	forwarded := func() *testbed.ForwardStatus {
		t.Helper()
		var st struct{ Clusters []testbed.ClusterStatus }
		if err := json.Unmarshal([]byte(tb("status")), &st); err != nil || len(st.Clusters) != 1 {
			t.Fatalf("testbed status: %v %+v", err, st)
		}
		return st.Clusters[0].Forward
	}
	tb("forward")
	f := forwarded()
	if f == nil || len(f.URLs) != len(p.primary.Nodes) || f.Mode != "pass" {
		t.Fatalf("forwarder: %+v", f)
	}

	s := defaults()
	s.proxy = true
	s.primaryNodes = f.URLs
	e := startSettled(t, p, s)

	rep, out, code := e.drill(t, "--fault", "partition", "--testbed-cluster", p.primary.Name,
		"--testbed", bin, "--testbed-dir", dir, "--index", "esdr-drill-partition")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	logDrill(t, rep)
	if len(rep.Phases) != 1 || rep.Phases[0].Numbers == nil {
		t.Fatalf("report: %+v", rep)
	}
	n := rep.Phases[0].Numbers
	if n.Before != "primary" || n.After != "standby" || n.RTOSeconds <= 0 || n.FailedReads != 0 {
		t.Errorf("phase %+v: want primary → standby with no failed read", n)
	}
	if rep.Lost != 0 {
		t.Errorf("%d acknowledged writes lost", rep.Lost)
	}
	byCluster := map[string]int{}
	for _, v := range rep.Acked {
		byCluster[v.Cluster] = v.Acked
		if v.Err != "" || len(v.Missing) > 0 {
			t.Errorf("acknowledged by %s: %+v", v.Cluster, v)
		}
	}
	if byCluster["primary"] == 0 || byCluster["standby"] == 0 {
		t.Errorf("acknowledged writes by cluster %v: want some on both sides of the partition", byCluster)
	}
	var steps []string
	for _, m := range rep.Timeline {
		if strings.HasPrefix(m.What, "fault command") || strings.HasPrefix(m.What, "recover command") {
			steps = append(steps, m.What)
		}
	}
	want := []string{"fault command started: " + bin + " partition --cluster " + p.primary.Name, "fault command done (ok)",
		"recover command started: " + bin + " heal --cluster " + p.primary.Name, "recover command done (ok)"}
	for i, w := range want {
		if i >= len(steps) || !strings.HasPrefix(steps[i], w) {
			t.Errorf("timeline's fault and recovery steps %q, want them to start with %q", steps, want)
			break
		}
	}
	if f := forwarded(); f.Mode != "pass" {
		t.Errorf("forwarder after the drill: %+v, want healed", f)
	}
	for _, node := range p.primary.Nodes {
		if st := node.State(); st != testbed.Running {
			t.Errorf("primary node %s is %s: a partition leaves the nodes running", node.Name, st)
		}
	}
}
