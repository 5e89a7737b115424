package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/esdr/esdr/testbed"
)

// commands maps each command name to its implementation.
var commands = map[string]func(ctx context.Context, o options, stdout io.Writer) error{
	"up":        up,
	"status":    status,
	"kill":      signalCmd((*testbed.Node).Kill, (*testbed.Cluster).Kill),
	"pause":     signalCmd((*testbed.Node).Pause, (*testbed.Cluster).Pause),
	"resume":    signalCmd((*testbed.Node).Resume, (*testbed.Cluster).Resume),
	"start":     start,
	"down":      down,
	"forward":   forward,
	"unforward": unforward,
	"partition": modeCmd("partition", "blackhole"),
	"heal":      modeCmd("heal", "pass"),
}

// up starts a new cluster of detached nodes, waits until it has formed and records it.
func up(ctx context.Context, o options, stdout io.Writer) error {
	if o.cluster == "" || o.engine == "" {
		return usagef("testbed up: --cluster and --engine are required")
	}
	if o.nodes < 1 {
		return usagef("testbed up: --nodes %d: want at least 1", o.nodes)
	}
	clusters, err := testbed.LoadClusters(o.dir)
	if err != nil {
		return err
	}
	if find(clusters, o.cluster) != nil {
		return usagef("testbed up: cluster %s exists (testbed down --cluster %s)", o.cluster, o.cluster)
	}
	c, err := testbed.Start(ctx, testbed.Spec{
		Engine: o.engine, Cluster: o.cluster, Nodes: o.nodes,
		HTTPPort: o.httpPort, TransportPort: o.tport, Dir: o.dir, Detached: true,
	})
	if err != nil {
		return err
	}
	if err := testbed.SaveClusters(o.dir, append(clusters, c)); err != nil {
		_ = c.Destroy()
		return err
	}
	return writeJSON(stdout, c.Status())
}

// status prints every recorded cluster (or one) as JSON.
func status(ctx context.Context, o options, stdout io.Writer) error {
	clusters, err := testbed.LoadClusters(o.dir)
	if err != nil {
		return err
	}
	out := struct {
		Clusters []testbed.ClusterStatus `json:"clusters"`
	}{Clusters: []testbed.ClusterStatus{}}
	if o.cluster != "" {
		c := find(clusters, o.cluster)
		if c == nil {
			return usagef("testbed status: unknown cluster %q", o.cluster)
		}
		clusters = []*testbed.Cluster{c}
	}
	for _, c := range clusters {
		out.Clusters = append(out.Clusters, statusOf(ctx, c))
	}
	return writeJSON(stdout, out)
}

// signalCmd builds kill, pause and resume: one node with --node, else the whole cluster.
func signalCmd(node func(*testbed.Node) error, cluster func(*testbed.Cluster) error) func(context.Context, options, io.Writer) error {
	return func(_ context.Context, o options, _ io.Writer) error {
		clusters, c, n, err := target(o, false)
		if err != nil {
			return err
		}
		if n != nil {
			err = node(n)
		} else {
			err = cluster(c)
		}
		if err != nil {
			return err
		}
		return testbed.SaveClusters(o.dir, clusters)
	}
}

// start starts a stopped node on its data and waits until it has rejoined; without
// --node, every stopped node, and waits until the whole cluster has formed again (the
// recovery of a kill of every node).
func start(ctx context.Context, o options, stdout io.Writer) error {
	clusters, c, n, err := target(o, false)
	if err != nil {
		return err
	}
	if n != nil {
		err = n.Start()
	} else {
		err = c.Start()
	}
	if err != nil {
		return err
	}
	if err := testbed.SaveClusters(o.dir, clusters); err != nil {
		return err
	}
	if n != nil {
		err = c.WaitJoined(ctx, n)
	} else {
		err = c.WaitFormed(ctx, len(c.Nodes))
	}
	if err != nil {
		return err
	}
	return writeJSON(stdout, statusOf(ctx, c))
}

// down kills and deletes one cluster, or all, with their forwarders: no process and no
// data are left.
func down(_ context.Context, o options, _ io.Writer) error {
	clusters, err := testbed.LoadClusters(o.dir)
	if err != nil {
		return err
	}
	if o.cluster != "" && find(clusters, o.cluster) == nil {
		return usagef("testbed down: unknown cluster %q", o.cluster)
	}
	var errs []error
	kept := clusters[:0:0]
	for _, c := range clusters {
		if o.cluster != "" && c.Name != o.cluster {
			kept = append(kept, c)
			continue
		}
		if err := errors.Join(c.StopForward(), c.Destroy()); err != nil {
			errs = append(errs, err)
			kept = append(kept, c)
		}
	}
	errs = append(errs, testbed.SaveClusters(o.dir, kept))
	if len(kept) == 0 {
		_ = os.Remove(o.dir) // only if empty
	}
	return errors.Join(errs...)
}

// target resolves --cluster and --node (required when needNode).
func target(o options, needNode bool) ([]*testbed.Cluster, *testbed.Cluster, *testbed.Node, error) {
	if o.cluster == "" {
		return nil, nil, nil, usagef("testbed: --cluster is required")
	}
	if needNode && o.node == "" {
		return nil, nil, nil, usagef("testbed: --node is required")
	}
	clusters, err := testbed.LoadClusters(o.dir)
	if err != nil {
		return nil, nil, nil, err
	}
	c := find(clusters, o.cluster)
	if c == nil {
		return nil, nil, nil, usagef("testbed: unknown cluster %q", o.cluster)
	}
	if o.node == "" {
		return clusters, c, nil, nil
	}
	n := c.Node(o.node)
	if n == nil {
		return nil, nil, nil, usagef("testbed: cluster %s has no node %q", o.cluster, o.node)
	}
	return clusters, c, n, nil
}

func find(clusters []*testbed.Cluster, name string) *testbed.Cluster {
	i := slices.IndexFunc(clusters, func(c *testbed.Cluster) bool { return c.Name == name })
	if i < 0 {
		return nil
	}
	return clusters[i]
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("testbed: %w", err)
	}
	return nil
}
