package testbed

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testEngines are the engines the component tests run on: $ESDR_TESTBED_ENGINES
// (comma-separated), else the required ones.
func testEngines() []string {
	if v := os.Getenv("ESDR_TESTBED_ENGINES"); v != "" {
		return strings.Split(v, ",")
	}
	return RequiredEngines
}

// TestFailureModes runs, in order, on one shared 3-node cluster per engine: formation, a
// crashed node, its restart on its data, and a hung master.
func TestFailureModes(t *testing.T) {
	for _, engine := range testEngines() {
		t.Run(engine, func(t *testing.T) {
			c := Shared(t, "modes-"+engine, modesSpec(engine))
			var victimID string // the killed node's id, which must survive its restart
			steps := []struct {
				name string
				run  func(*testing.T, *Cluster)
			}{
				{"forms green with 3 nodes", formsGreen},
				{"killed node leaves 2 that answer", func(t *testing.T, c *Cluster) { victimID = killOne(t, c) }},
				{"killed node restarts on its data and rejoins", func(t *testing.T, c *Cluster) { restartRejoins(t, c, victimID) }},
				{"paused master is replaced", pauseMaster},
			}
			for _, s := range steps {
				if !t.Run(s.name, func(t *testing.T) { s.run(t, c) }) {
					return // later steps build on this one
				}
			}
		})
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	StopShared()
	os.Exit(code)
}

func modesSpec(engine string) Spec { return Spec{Engine: engine, Cluster: "modes-" + engine, Nodes: 3} }

// TestSharedHeals kills every node of a shared cluster (its ports close), then asks for
// the same shared cluster again: it must get back the same one, restarted on its data
// and formed again. It breaks the cluster itself, so it holds run alone or after
// TestFailureModes, whose cluster it shares.
func TestSharedHeals(t *testing.T) {
	for _, engine := range testEngines() {
		t.Run(engine, func(t *testing.T) {
			c := Shared(t, "modes-"+engine, modesSpec(engine))
			killAll(t, c)
			if again := Shared(t, "modes-"+engine, modesSpec(engine)); again != c {
				t.Fatal("Shared started a second cluster for the same key")
			}
			h, err := c.Health(bounded(t, 10*time.Second))
			if err != nil || h.NumberOfNodes != 3 {
				t.Fatalf("healed cluster: %+v, %v", h, err)
			}
		})
	}
}

func bounded(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func formsGreen(t *testing.T, c *Cluster) {
	h, err := c.Health(bounded(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if h.Status != "green" || h.NumberOfNodes != 3 || h.ClusterName != c.Name {
		t.Fatalf("health = %+v, want green, 3 nodes, cluster %s", h, c.Name)
	}
	if _, err := c.Master(bounded(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
}

// victim is the node the kill and restart steps use: the last one.
func victim(c *Cluster) *Node { return c.Nodes[len(c.Nodes)-1] }

// killOne kills the victim and returns its node id.
func killOne(t *testing.T, c *Cluster) string {
	n := victim(c)
	id := nodeID(t, n)
	if err := n.Kill(); err != nil {
		t.Fatal(err)
	}
	if s := n.State(); s != Stopped {
		t.Fatalf("killed node state = %s, want stopped", s)
	}
	if err := c.WaitFormed(bounded(t, time.Minute), 2); err != nil {
		t.Fatal(err)
	}
	h, err := c.Health(bounded(t, 10*time.Second))
	if err != nil || h.NumberOfNodes != 2 {
		t.Fatalf("after kill: health %+v, %v; want 2 nodes", h, err)
	}
	return id
}

func restartRejoins(t *testing.T, c *Cluster, victimID string) {
	n := victim(c)
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitJoined(bounded(t, 2*time.Minute), n); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitFormed(bounded(t, time.Minute), 3); err != nil {
		t.Fatal(err)
	}
	if id := nodeID(t, n); id != victimID {
		t.Fatalf("restarted node id = %s, want %s (same data)", id, victimID)
	}
}

func pauseMaster(t *testing.T, c *Cluster) {
	old, err := c.Master(bounded(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Pause(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = old.Resume() })
	if s := old.State(); s != Paused {
		t.Fatalf("paused node state = %s", s)
	}
	m, err := c.WaitNewMaster(bounded(t, time.Minute), old)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("master %s paused, %s elected", old.Name, m.Name)
	if err := old.Resume(); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitFormed(bounded(t, time.Minute), 3); err != nil {
		t.Fatal(err)
	}
}

func killAll(t *testing.T, c *Cluster) {
	t.Helper()
	if err := c.Kill(); err != nil {
		t.Fatal(err)
	}
	for _, n := range c.Nodes {
		up, err := Listening(n.URL()[len("http://"):], 2*time.Second)
		if up {
			t.Fatalf("node %s: port %d still accepts connections", n.Name, n.HTTPPort)
		}
		if err != nil && !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("node %s: dial: %v, want connection refused", n.Name, err)
		}
	}
}

// nodeID asks the node itself for its persistent node id.
func nodeID(t *testing.T, n *Node) string {
	t.Helper()
	var info struct {
		Nodes map[string]struct {
			Name string `json:"name"`
		} `json:"nodes"`
	}
	if err := getJSON(bounded(t, 10*time.Second), n.URL(), "/_nodes/_local/none", &info); err != nil {
		t.Fatal(err)
	}
	for id, v := range info.Nodes {
		if v.Name == n.Name {
			return id
		}
	}
	t.Fatalf("node %s: not in its own _nodes/_local answer %+v", n.Name, info)
	return ""
}
