package testbed

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// pollEvery is the pause between two looks at a cluster while waiting.
const pollEvery = 250 * time.Millisecond

// WaitFormed waits until a running node reports a cluster of exactly n nodes with an
// elected master that has recovered the cluster state. The wait is bounded by ctx and by the spec's FormTimeout; it gives up
// early when fewer than n node processes are left. The error carries the last log lines
// of every node missing from the cluster.
func (c *Cluster) WaitFormed(ctx context.Context, n int) error {
	ctx, cancel := context.WithTimeout(ctx, c.formTimeout)
	defer cancel()
	start := time.Now()
	var last error
	for {
		have, names, err := c.look(ctx, n)
		if err == nil && have == n {
			return nil
		}
		if err != nil {
			last = err
		} else {
			last = fmt.Errorf("testbed: %d of %d nodes", have, n)
		}
		alive := 0
		for _, node := range c.Nodes {
			if node.State() != Stopped {
				alive++
			}
		}
		if alive < n {
			return fmt.Errorf("%w: cluster %s: only %d node processes of %d alive after %v (%w)%s",
				ErrNotFormed, c.Name, alive, n, time.Since(start).Round(time.Millisecond), last, c.logTails(names, 20))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: cluster %s: not %d nodes within %v (%w)%s",
				ErrNotFormed, c.Name, n, time.Since(start).Round(time.Millisecond), last, c.logTails(names, 20))
		case <-time.After(pollEvery):
		}
	}
}

// WaitJoined waits until node n answers on its own HTTP port with an elected master and
// is listed among its cluster's nodes: a restarted node has rejoined. Other nodes are not
// asked, so a stale view of a killed instance cannot pass for the new one.
func (c *Cluster) WaitJoined(ctx context.Context, n *Node) error {
	ctx, cancel := context.WithTimeout(ctx, c.formTimeout)
	defer cancel()
	start := time.Now()
	for {
		err := joined(ctx, n)
		if err == nil {
			return nil
		}
		if n.State() == Stopped {
			return fmt.Errorf("%w: node %s exited (%w)%s", ErrNotFormed, n.Name, err, c.logTails(c.others(n), 20))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: node %s not joined within %v (%w)%s",
				ErrNotFormed, n.Name, time.Since(start).Round(time.Millisecond), err, c.logTails(c.others(n), 20))
		case <-time.After(pollEvery):
		}
	}
}

func joined(ctx context.Context, n *Node) error {
	if _, err := nodeMaster(ctx, n.URL()); err != nil {
		return err
	}
	names, err := nodeNames(ctx, n.URL())
	if err != nil {
		return err
	}
	if !slices.Contains(names, n.Name) {
		return fmt.Errorf("testbed: node %s: not in its cluster's nodes %v", n.Name, names)
	}
	return nodeRecovered(ctx, n.URL())
}

// others is the set of every node name but n's.
func (c *Cluster) others(n *Node) map[string]bool {
	m := map[string]bool{}
	for _, o := range c.Nodes {
		if o != n {
			m[o.Name] = true
		}
	}
	return m
}

// look asks the running nodes, in turn, for the cluster's size and members; it returns
// the first answer that has an elected master.
func (c *Cluster) look(ctx context.Context, want int) (int, map[string]bool, error) {
	var errs []error
	for _, node := range c.Nodes {
		if node.State() != Running {
			continue
		}
		h, err := nodeHealth(ctx, node.URL())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if h.NumberOfNodes != want {
			return h.NumberOfNodes, nil, nil
		}
		if _, err := nodeMaster(ctx, node.URL()); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := nodeRecovered(ctx, node.URL()); err != nil {
			errs = append(errs, err)
			continue
		}
		names, err := nodeNames(ctx, node.URL())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		in := make(map[string]bool, len(names))
		for _, name := range names {
			in[name] = true
		}
		return h.NumberOfNodes, in, nil
	}
	if len(errs) == 0 {
		return 0, nil, errors.New("testbed: no running node")
	}
	return 0, nil, errors.Join(errs...)
}

// Health returns the cluster's health as seen by the first running node that answers.
func (c *Cluster) Health(ctx context.Context) (Health, error) {
	var errs []error
	for _, n := range c.Nodes {
		if n.State() != Running {
			continue
		}
		h, err := nodeHealth(ctx, n.URL())
		if err == nil {
			return h, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return Health{}, fmt.Errorf("testbed: cluster %s: no running node", c.Name)
	}
	return Health{}, errors.Join(errs...)
}

// Master returns the elected master as seen by the first running node that answers.
func (c *Cluster) Master(ctx context.Context) (*Node, error) {
	return c.masterSeenBy(ctx, nil)
}

// WaitNewMaster waits, within ctx, until every running node other than old agrees on an
// elected master that is not old, and returns it.
func (c *Cluster) WaitNewMaster(ctx context.Context, old *Node) (*Node, error) {
	for {
		m, err := c.masterSeenBy(ctx, old)
		if err == nil && m != old {
			return m, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("testbed: cluster %s: no new master: %w (last: %v)", c.Name, ctx.Err(), err)
		case <-time.After(pollEvery):
		}
	}
}

// masterSeenBy asks every running node but skip for the master; they must all agree.
func (c *Cluster) masterSeenBy(ctx context.Context, skip *Node) (*Node, error) {
	var master *Node
	for _, n := range c.Nodes {
		if n == skip || n.State() != Running {
			continue
		}
		name, err := nodeMaster(ctx, n.URL())
		if err != nil {
			return nil, err
		}
		m := c.Node(name)
		if m == nil {
			return nil, fmt.Errorf("testbed: cluster %s: master %q is not one of its nodes", c.Name, name)
		}
		if master != nil && m != master {
			return nil, fmt.Errorf("testbed: cluster %s: nodes disagree on the master (%s, %s)", c.Name, master.Name, m.Name)
		}
		master = m
	}
	if master == nil {
		return nil, fmt.Errorf("testbed: cluster %s: no running node", c.Name)
	}
	return master, nil
}
