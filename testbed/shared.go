package testbed

import (
	"context"
	"os"
	"sync"
	"testing"
)

// StartForTest starts a cluster for one test, in a folder of t.TempDir() unless spec.Dir
// is set, and registers a t.Cleanup that kills every node and deletes its folder, pass or
// fail. Nodes also die with the test binary (Pdeathsig). Under -short it skips the test:
// real nodes are not unit tests.
func StartForTest(t testing.TB, spec Spec) *Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("testbed: starts real nodes; skipped under -short")
	}
	if spec.Dir == "" {
		spec.Dir = t.TempDir()
	}
	spec.Detached = false
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := Start(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Destroy(); err != nil {
			t.Errorf("testbed cleanup: %v", err)
		}
	})
	return c
}

// shared holds the clusters of Shared, one per key, for the life of the test binary.
var shared struct {
	mu       sync.Mutex
	clusters map[string]*sharedCluster
}

type sharedCluster struct {
	once sync.Once
	c    *Cluster
	dir  string
	err  error
}

// Shared returns the cluster for key, starting it from spec the first time any test of
// this test binary asks for it, and healing it on later asks: paused nodes are resumed,
// stopped ones restarted on their data, and the call waits until all nodes are back.
// Tests that share a cluster must leave it usable (or heal it) and must not run in
// parallel with a test that breaks it. Under -short it skips the test.
//
// A shared cluster lives until the test binary ends; call StopShared from TestMain to
// delete its data. If the binary dies first, Pdeathsig still kills the nodes.
func Shared(t testing.TB, key string, spec Spec) *Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("testbed: starts real nodes; skipped under -short")
	}
	shared.mu.Lock()
	if shared.clusters == nil {
		shared.clusters = map[string]*sharedCluster{}
	}
	sc := shared.clusters[key]
	if sc == nil {
		sc = &sharedCluster{}
		shared.clusters[key] = sc
	}
	shared.mu.Unlock()

	first := false
	sc.once.Do(func() {
		first = true
		if spec.Dir == "" {
			if sc.dir, sc.err = os.MkdirTemp("", "esdr-testbed-"); sc.err != nil {
				return
			}
			spec.Dir = sc.dir
		}
		spec.Detached = false
		sc.c, sc.err = Start(context.Background(), spec)
	})
	if sc.err != nil {
		t.Fatalf("testbed: shared cluster %q: %v", key, sc.err)
	}
	if !first {
		if err := sc.c.heal(context.Background()); err != nil {
			t.Fatalf("testbed: shared cluster %q: heal: %v", key, err)
		}
	}
	return sc.c
}

// heal resumes paused nodes, restarts stopped ones and waits until all have rejoined.
func (c *Cluster) heal(ctx context.Context) error {
	if err := c.Resume(); err != nil {
		return err
	}
	var restarted []*Node
	for _, n := range c.Nodes {
		if n.State() == Stopped {
			if err := n.Start(); err != nil {
				return err
			}
			restarted = append(restarted, n)
		}
	}
	for _, n := range restarted {
		if err := c.WaitJoined(ctx, n); err != nil {
			return err
		}
	}
	return c.WaitFormed(ctx, len(c.Nodes))
}

// StopShared kills the nodes of every shared cluster and deletes their folders. Call it
// from TestMain after m.Run:
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		testbed.StopShared()
//		os.Exit(code)
//	}
func StopShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	for key, sc := range shared.clusters {
		if sc.c != nil {
			_ = sc.c.Destroy()
		}
		if sc.dir != "" {
			_ = os.RemoveAll(sc.dir)
		}
		delete(shared.clusters, key)
	}
}
