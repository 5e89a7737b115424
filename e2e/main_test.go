// Package e2e runs esdr as a real process against real test-bed clusters. Its tests share
// one primary and one standby cluster per engine (starting a JVM cluster costs tens of
// seconds on two cores), heal them between tests, and run one after another.
package e2e

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/testbed"
	"github.com/esdr/esdr/testbed/esdrproc"
)

// esdrBin is the esdr binary built once for the whole package, with the race detector.
var esdrBin string

// plain is esdr built without the race detector, for memory measurements (the race
// detector multiplies the memory behind every allocation).
var plain struct {
	once sync.Once
	bin  string
	err  error
}

func plainBin(t *testing.T) string {
	t.Helper()
	plain.once.Do(func() {
		plain.bin = filepath.Join(filepath.Dir(esdrBin), "esdr-plain")
		plain.err = esdrproc.Build(context.Background(), plain.bin)
	})
	if plain.err != nil {
		t.Fatalf("build esdr without -race: %v", plain.err)
	}
	return plain.bin
}

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "esdr-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	esdrBin = filepath.Join(dir, "esdr")
	if err := esdrproc.Build(context.Background(), esdrBin, "-race"); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build esdr:", err)
		os.Exit(1)
	}
	code := m.Run()
	testbed.StopShared()
	os.RemoveAll(dir)
	if snapRepo.dir != "" {
		os.RemoveAll(snapRepo.dir)
	}
	os.Exit(code)
}

// pair is a primary and a standby cluster of one engine.
type pair struct {
	engine           string
	primary, standby *testbed.Cluster
}

// clusters returns the shared pair for engine, healed: every node running and joined.
// The primary has three nodes (so one can die without the cluster dying), the standby one.
func clusters(t *testing.T, engine string) pair {
	t.Helper()
	repo := map[string]string{"path.repo": sharedRepo(t, engine)} // the same on both: snapshot sync
	p := testbed.Shared(t, engine+"-primary", testbed.Spec{Engine: engine, Cluster: "e2e-" + engine + "-primary", Nodes: 3, Settings: repo})
	s := testbed.Shared(t, engine+"-standby", testbed.Spec{Engine: engine, Cluster: "e2e-" + engine + "-standby", Nodes: 1, Settings: repo})
	for _, c := range []*testbed.Cluster{p, s} {
		unfence(t, c)
		dropIndices(t, c)
		waitGreen(t, c)
	}
	return pair{engine: engine, primary: p, standby: s}
}

// dropIndices deletes the indices a previous test left (not the hidden ones): a
// standby left with more writes than the primary is, to a fresh esdr, a sign that
// traffic moved, and esdr refuses to start on the primary (internal/bootstrap).
func dropIndices(t *testing.T, c *testbed.Cluster) {
	t.Helper()
	ctx := context.Background()
	es, err := esclient.New(c.URLs(), esclient.Options{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	idx, err := es.CatIndices(ctx)
	if err != nil {
		t.Fatalf("list indices of %s: %v", c.Name, err)
	}
	var names []string
	for _, i := range idx {
		if !strings.HasPrefix(i.Name, ".") {
			names = append(names, i.Name)
		}
	}
	if len(names) == 0 {
		return
	}
	if st, b, err := es.Do(ctx, http.MethodDelete, "/"+strings.Join(names, ","), nil); err != nil || st != http.StatusOK {
		t.Fatalf("delete %v on %s: %d %s %v", names, c.Name, st, b, err)
	}
}

// snapRepo holds each engine's shared snapshot repository directory, path.repo of both
// clusters of its pair; made once per test binary, removed by TestMain.
var snapRepo struct {
	once sync.Once
	dir  string
	err  error
}

// sharedRepo returns the path.repo directory both clusters of engine's pair share.
func sharedRepo(t *testing.T, engine string) string {
	t.Helper()
	snapRepo.once.Do(func() { snapRepo.dir, snapRepo.err = os.MkdirTemp("", "esdr-e2e-repo-") })
	if snapRepo.err != nil {
		t.Fatal(snapRepo.err)
	}
	dir := filepath.Join(snapRepo.dir, engine)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// waitGreen waits until every shard of c is started (every primary on a one-node cluster): a copy a previous test left
// recovering (the canary's replicas after a node came back) makes a fresh esdr judge the
// cluster red before the test has begun.
func waitGreen(t *testing.T, c *testbed.Cluster) {
	t.Helper()
	es, err := esclient.New(c.URLs(), esclient.Options{Timeout: 90 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	want := "green"
	if len(c.Nodes) < 2 {
		want = "yellow" // a one-node cluster cannot place a replica
	}
	st, b, err := es.Do(context.Background(), http.MethodGet,
		"/_cluster/health?wait_for_no_initializing_shards=true&timeout=60s&wait_for_status="+want, nil)
	if err != nil || st != http.StatusOK {
		// Not fatal: the test may not need it; if it fails, this says why.
		t.Logf("%s not %s within 60s: %d %s %v", c.Name, want, st, b, err)
		_, why, _ := es.Do(context.Background(), http.MethodGet, "/_cluster/allocation/explain", nil)
		t.Logf("%s: the first unassigned copy: %.2000s", c.Name, why)
	}
}

// unfence lifts a write block a previous test's esdr left on a shared cluster, so every
// test starts from clusters that take writes.
func unfence(t *testing.T, c *testbed.Cluster) {
	t.Helper()
	es, err := esclient.New(c.URLs(), esclient.Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := es.PutClusterSettings(context.Background(), map[string]any{"cluster.blocks.read_only": nil}); err != nil {
		t.Fatalf("unfence %s: %v", c.Name, err)
	}
}
