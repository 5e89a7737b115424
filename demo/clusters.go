package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/esdr/esdr/testbed"
	"github.com/esdr/esdr/testbed/poll"
)

// pair is the demo's two clusters.
type pair struct {
	dir              string
	primary, standby *testbed.Cluster
}

func (p *pair) destroy() error {
	var errs []error
	for _, c := range []*testbed.Cluster{p.primary, p.standby} {
		if c != nil {
			errs = append(errs, c.Destroy())
		}
	}
	errs = append(errs, testbed.SaveClusters(p.dir, nil))
	return errors.Join(errs...)
}

// progressEvery is how often a line is printed while JVMs start.
const progressEvery = 5 * time.Second

// startClusters starts the primary (3 nodes) and the standby (1 node) at once, detached
// and recorded in the folder's testbed.json (so `testbed down --dir` can always stop
// them), and shows progress until both have formed.
func (d *demo) startClusters(ctx context.Context) (*pair, error) {
	p := &pair{dir: d.o.dir}
	var err error
	if p.primary, err = testbed.New(testbed.Spec{Engine: d.o.engine, Cluster: "primary", Nodes: 3, Dir: d.o.dir, Detached: true}); err != nil {
		return nil, err
	}
	if p.standby, err = testbed.New(testbed.Spec{Engine: d.o.engine, Cluster: "standby", Nodes: 1, Dir: d.o.dir, Detached: true}); err != nil {
		return nil, err
	}
	d.pair = p // from here on, cleanup stops whatever was started
	d.step("starting %s: primary (3 nodes, http %s) and standby (1 node, http %s), one JVM per node",
		d.o.engine, ports(p.primary), ports(p.standby))
	for _, c := range []*testbed.Cluster{p.primary, p.standby} {
		if err := c.Start(); err != nil {
			return nil, err
		}
	}
	if err := testbed.SaveClusters(d.o.dir, []*testbed.Cluster{p.primary, p.standby}); err != nil {
		return nil, err
	}
	if err := d.waitFormed(ctx, "JVMs", p.primary, p.standby); err != nil {
		return nil, err
	}
	d.step("both clusters formed: primary %d nodes, standby %d node", len(p.primary.Nodes), len(p.standby.Nodes))
	return p, nil
}

// waitFormed waits until every cluster has formed with all its nodes, printing how many
// nodes answer every few seconds meanwhile.
func (d *demo) waitFormed(ctx context.Context, what string, cs ...*testbed.Cluster) error {
	errc := make(chan error, len(cs))
	for _, c := range cs {
		go func() { errc <- c.WaitFormed(ctx, len(c.Nodes)) }()
	}
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	for pending := len(cs); pending > 0; {
		select {
		case err := <-errc:
			if err != nil {
				return err
			}
			pending--
		case <-tick.C:
			var s []string
			for _, c := range cs {
				s = append(s, c.Name+" "+answering(c))
			}
			d.step("  … waiting for the %s: %s", what, strings.Join(s, ", "))
		}
	}
	return nil
}

// ports lists a cluster's HTTP ports.
func ports(c *testbed.Cluster) string {
	var s []string
	for _, n := range c.Nodes {
		s = append(s, strconv.Itoa(n.HTTPPort))
	}
	return strings.Join(s, ",")
}

// answering says how many of a cluster's node processes run and how many accept
// connections on their HTTP port (a node binds it only once it has joined).
func answering(c *testbed.Cluster) string {
	alive, up := 0, 0
	for _, n := range c.Nodes {
		if n.State() != testbed.Stopped {
			alive++
		}
		conn, err := net.DialTimeout("tcp", strings.TrimPrefix(n.URL(), "http://"), 200*time.Millisecond)
		if err == nil {
			conn.Close()
			up++
		}
	}
	return fmt.Sprintf("%d/%d JVMs running, %d/%d HTTP up", alive, len(c.Nodes), up, len(c.Nodes))
}

// wipe stops what an earlier demo left in dir (clusters from its testbed.json, esdr from
// its pid file) and deletes the folder.
func wipe(dir string) error {
	clusters, err := testbed.LoadClusters(dir)
	if err != nil {
		return err
	}
	for _, c := range clusters {
		if err := c.Destroy(); err != nil {
			return err
		}
	}
	if pid, ok := keptEsdr(dir); ok {
		_ = syscall.Kill(pid, syscall.SIGTERM)
		// Not our child (a kept demo detached it): all there is to wait on is its pid.
		_ = poll.Until(context.Background(), 10*time.Second, "the kept esdr gone", func() bool { return syscall.Kill(pid, 0) != nil })
	}
	return os.RemoveAll(dir)
}
