package testbed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Cluster is a set of nodes started together under one cluster name. Its folder Dir
// holds the launcher, one data folder and one log file per node.
type Cluster struct {
	Name   string
	Engine string
	Dir    string
	Nodes  []*Node
	// Forward is the forwarder the testbed command runs in front of the nodes' HTTP
	// ports (forward.go); nil when there is none.
	Forward *Forward

	formTimeout time.Duration
}

// New lays out a cluster from spec (validated, ports chosen, engine located) without
// starting anything. The cluster's folder must not exist yet.
func New(spec Spec) (*Cluster, error) {
	s, err := spec.withDefaults()
	if err != nil {
		return nil, err
	}
	httpPorts, err := portRange(s.HTTPPort, s.Nodes)
	if err != nil {
		return nil, err
	}
	var transportPorts []int
	for try := 0; try == 0 || (s.TransportPort == 0 && try < 10 && overlap(httpPorts, transportPorts)); try++ {
		if transportPorts, err = portRange(s.TransportPort, s.Nodes); err != nil {
			return nil, err
		}
	}
	if overlap(httpPorts, transportPorts) {
		return nil, fmt.Errorf("%w: http ports %v overlap transport ports %v", ErrBadSpec, httpPorts, transportPorts)
	}
	inst, err := locate(s.Engine)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(s.Dir, s.Cluster)
	if _, err := os.Stat(dir); err == nil {
		return nil, fmt.Errorf("%w: cluster %s: %s exists (remove it, or `testbed down --cluster %s`)", ErrBadSpec, s.Cluster, dir, s.Cluster)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("testbed: cluster %s: %w", s.Cluster, err)
	}
	launcher, err := writeLauncher(dir)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Name: s.Cluster, Engine: s.Engine, Dir: dir, formTimeout: s.FormTimeout}
	e := engines[s.Engine]
	for i := range s.Nodes {
		name := nodeName(s.Cluster, i)
		n := &Node{
			Name: name, HTTPPort: httpPorts[i], TransportPort: transportPorts[i],
			Dir: filepath.Join(dir, name), LogPath: filepath.Join(dir, name+".log"),
			detached: s.Detached,
		}
		jvm := []string{inst.java, "-Xms" + DefaultHeap, "-Xmx" + DefaultHeap, "-XX:+UseSerialGC"}
		if !s.FullJIT {
			jvm = append(jvm, "-XX:TieredStopAtLevel=1")
		}
		n.command = append(append(jvm, "-cp", filepath.Join(inst.jars, "*"), launcher, n.Dir),
			nodeSettings(e, s, i, httpPorts, transportPorts)...)
		c.Nodes = append(c.Nodes, n)
	}
	return c, nil
}

// Start lays out the cluster, starts every node and waits until all have formed one
// cluster with an elected master. On failure every node it started is killed.
func Start(ctx context.Context, spec Spec) (*Cluster, error) {
	c, err := New(spec)
	if err != nil {
		return nil, err
	}
	if err := c.Start(); err != nil {
		_ = c.Kill()
		return nil, err
	}
	if err := c.WaitFormed(ctx, len(c.Nodes)); err != nil {
		_ = c.Kill()
		return nil, err
	}
	return c, nil
}

// Node returns the node called name, or nil.
func (c *Cluster) Node(name string) *Node {
	for _, n := range c.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// URLs are the HTTP addresses of every node.
func (c *Cluster) URLs() []string {
	urls := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		urls[i] = n.URL()
	}
	return urls
}

// Start starts every stopped node on its data; running and paused nodes are left alone.
func (c *Cluster) Start() error {
	var errs []error
	for _, n := range c.Nodes {
		if n.State() == Stopped {
			errs = append(errs, n.Start())
		}
	}
	return errors.Join(errs...)
}

// Kill sends SIGKILL to every node and waits until all are gone.
func (c *Cluster) Kill() error { return c.each((*Node).Kill) }

// Pause sends SIGSTOP to every running node.
func (c *Cluster) Pause() error {
	return c.each(func(n *Node) error {
		if n.State() != Running {
			return nil
		}
		return n.Pause()
	})
}

// Resume sends SIGCONT to every paused node.
func (c *Cluster) Resume() error {
	return c.each(func(n *Node) error {
		if n.State() != Paused {
			return nil
		}
		return n.Resume()
	})
}

// Stop shuts every node down (SIGTERM, then SIGKILL after timeout).
func (c *Cluster) Stop(timeout time.Duration) error {
	return c.each(func(n *Node) error { return n.Stop(timeout) })
}

// Wipe deletes every node's data; the nodes must be stopped.
func (c *Cluster) Wipe() error { return c.each((*Node).Wipe) }

// Destroy kills every node and deletes the cluster's folder: no process, no data, no log.
func (c *Cluster) Destroy() error {
	if err := c.Kill(); err != nil {
		return err
	}
	if err := os.RemoveAll(c.Dir); err != nil {
		return fmt.Errorf("testbed: cluster %s: %w", c.Name, err)
	}
	return nil
}

// each runs f on every node at once and joins the errors.
func (c *Cluster) each(f func(*Node) error) error {
	errs := make([]error, len(c.Nodes))
	var wg sync.WaitGroup
	for i, n := range c.Nodes {
		wg.Go(func() { errs[i] = f(n) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// logTails formats the last lines of the logs of the named nodes (all if names is nil).
func (c *Cluster) logTails(skip map[string]bool, lines int) string {
	var b strings.Builder
	for _, n := range c.Nodes {
		if skip[n.Name] {
			continue
		}
		fmt.Fprintf(&b, "\n--- node %s (%s), last %d lines of %s:\n%s", n.Name, n.State(), lines, n.LogPath, n.LogTail(lines))
	}
	return b.String()
}

func overlap(a, b []int) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}
