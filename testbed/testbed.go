// Package testbed starts and breaks real Elasticsearch and OpenSearch clusters on this
// machine, one JVM per node, for esdr's tests and the `testbed` command: start N nodes,
// wait until they form a cluster, then kill, pause, resume, restart, stop and wipe them.
//
// Tests use StartForTest (a cluster of their own, reaped by t.Cleanup) or Shared (one
// cluster per key and test binary); see shared.go. The jars come from scripts/install.sh.
package testbed

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"time"
)

// Defaults applied by Spec.withDefaults.
const (
	DefaultNodes       = 3
	DefaultFormTimeout = 3 * time.Minute
	// DefaultHeap is each node's fixed heap: plenty for tests, small enough for 2 cores.
	DefaultHeap = "384m"
)

// Sentinel errors, checked with errors.Is.
var (
	ErrUnknownEngine = errors.New("testbed: unknown engine")
	ErrPortInUse     = errors.New("testbed: port in use")
	ErrNotInstalled  = errors.New("testbed: not installed")
	ErrNotFormed     = errors.New("testbed: cluster not formed in time")
	ErrBadSpec       = errors.New("testbed: bad spec")
)

// Spec says which cluster to start.
type Spec struct {
	Engine  string // opensearch2, es7 or opensearch3 (see Engines)
	Cluster string // cluster.name; also the folder under Dir; [a-z0-9-], 1–40 chars
	Nodes   int    // number of nodes, each master-eligible and data; default 3
	// HTTPPort and TransportPort are the first node's ports; node i uses port+i.
	// Zero chooses free ports.
	HTTPPort      int
	TransportPort int
	// Dir is the state folder: the cluster lives in Dir/<Cluster>. Required.
	Dir string
	// Detached starts every node in its own session so it outlives this process (the
	// CLI). Otherwise a node gets SIGKILL when this process dies (tests).
	Detached bool
	// FormTimeout bounds the wait for the cluster to form; default 3 minutes.
	FormTimeout time.Duration
	// Settings are extra node settings given to every node after the test bed's own
	// (key → value; "[a,b]" is a list), e.g. {"path.repo": dir} for snapshot tests. They
	// may not replace a setting the test bed needs to form the cluster. See settings.go.
	Settings map[string]string
	// FullJIT keeps the JVM's optimizing compiler (C2), for throughput benchmarks. By
	// default nodes run with the quick one (C1) alone: tests start clusters dozens of
	// times on two cores, where C2's compiler threads are most of a node's start-up CPU.
	FullJIT bool
}

var clusterNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// withDefaults returns the spec with zero fields set to their defaults, or an error
// naming the bad field.
func (s Spec) withDefaults() (Spec, error) {
	if _, ok := engines[s.Engine]; !ok {
		return s, fmt.Errorf("%w %q (want one of %s)", ErrUnknownEngine, s.Engine, EngineNames())
	}
	if !clusterNameRE.MatchString(s.Cluster) {
		return s, fmt.Errorf("%w: cluster name %q: want 1-40 of a-z, 0-9 and -", ErrBadSpec, s.Cluster)
	}
	if s.Nodes == 0 {
		s.Nodes = DefaultNodes
	}
	if s.Nodes < 1 || s.Nodes > 9 {
		return s, fmt.Errorf("%w: node count %d: want 1 to 9", ErrBadSpec, s.Nodes)
	}
	for _, p := range []struct {
		name string
		port int
	}{{"http port", s.HTTPPort}, {"transport port", s.TransportPort}} {
		if p.port < 0 || p.port > 65535-s.Nodes || (p.port > 0 && p.port < 1024) {
			return s, fmt.Errorf("%w: %s %d: want 0 (free) or 1024-%d", ErrBadSpec, p.name, p.port, 65535-s.Nodes)
		}
	}
	if s.Dir == "" {
		return s, fmt.Errorf("%w: no state dir", ErrBadSpec)
	}
	dir, err := filepath.Abs(s.Dir)
	if err != nil {
		return s, fmt.Errorf("%w: state dir: %w", ErrBadSpec, err)
	}
	s.Dir = dir
	if s.FormTimeout <= 0 {
		s.FormTimeout = DefaultFormTimeout
	}
	if err := checkSettings(s.Settings); err != nil {
		return s, err
	}
	return s, nil
}

// nodeName is the node.name of the i-th node (0-based) of a cluster.
func nodeName(cluster string, i int) string {
	return fmt.Sprintf("%s-%d", cluster, i+1)
}

// nodeSettings are the launcher's key=value arguments for node i of the cluster; list
// settings are written [a,b]. Settings given here win over the runner's defaults.
func nodeSettings(e engine, s Spec, i int, httpPorts, transportPorts []int) []string {
	names, seeds := "", ""
	for j := range s.Nodes {
		sep := ","
		if j == 0 {
			sep = ""
		}
		names += sep + nodeName(s.Cluster, j)
		seeds += fmt.Sprintf("%s127.0.0.1:%d", sep, transportPorts[j])
	}
	set := []string{
		"cluster.name=" + s.Cluster,
		"node.name=" + nodeName(s.Cluster, i),
		"network.host=127.0.0.1",
		fmt.Sprintf("http.port=%d", httpPorts[i]),
		fmt.Sprintf("transport.port=%d", transportPorts[i]),
		"discovery.seed_hosts=[" + seeds + "]",
		e.initialMastersKey + "=[" + names + "]",
		"node.roles=[" + e.masterRole + ",data,ingest]",
		// Fast fault detection, so kill and pause tests see a new master in seconds.
		"cluster.fault_detection.follower_check.interval=500ms",
		"cluster.fault_detection.follower_check.timeout=2s",
		"cluster.fault_detection.follower_check.retry_count=2",
		"cluster.fault_detection.leader_check.interval=500ms",
		"cluster.fault_detection.leader_check.timeout=2s",
		"cluster.fault_detection.leader_check.retry_count=2",
		// A hung node must not hold up the publication of the new master for 30 s.
		"cluster.publish.timeout=5s",
		"cluster.follower_lag.timeout=10s",
		// Test machines have full disks more often than not; shards must still allocate.
		"cluster.routing.allocation.disk.threshold_enabled=false",
	}
	return append(append(set, e.extraSettings...), userSettings(s.Settings)...)
}
