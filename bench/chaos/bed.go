package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/esdr/esdr/testbed"
	"github.com/esdr/esdr/testbed/netfault"
	"github.com/esdr/esdr/testbed/peers"
)

// formTimeout bounds a cluster's start and every re-forming: minutes on a busy machine.
const formTimeout = 10 * time.Minute

// greenWithin bounds the wait for both clusters to be green before a run's first fault
// (under the runner's 30 s HTTP timeout).
const greenWithin = 25 * time.Second

// clusterNames are esdr's names for the two clusters, preferred first; the proxy's
// X-Esdr-Cluster header and esdr's events use them.
var clusterNames = [2]string{"primary", "standby"}

// bed is what a campaign's runs share: two 3-node clusters, started once per campaign and
// healed between runs (a fresh pair per run would cost minutes of JVM start each), each
// seen by each esdr member through its own netfault forwarder per node, so a run can cut
// esdr (and its proxy), or one member only, off from a cluster whose nodes keep serving;
// in the fleet topology also a 3-member etcd.
type bed struct {
	engine, dir, esdrBin string
	clusters             [2]*testbed.Cluster
	fwd                  [][2]netfault.Group // per member slot, per cluster
	clientFwd            [2]netfault.Group   // the following clients' path to each cluster
	etcd                 *peers.EtcdProcs    // nil in the embedded topology
	named                *peers.Named        // the DNS server esdr's rfc2136 target updates
	disk                 string              // the tmpfs esdr's state is on (embedded), "" when none
	logf                 func(string, ...any)
}

// Topologies.
const (
	embedded = "embedded" // one esdr with its state file
	fleet    = "fleet"    // three esdr members over a 3-member etcd
)

// startBed starts both clusters under dir, their forwarders, named and, for a fleet,
// etcd; undo with stop.
func startBed(ctx context.Context, engine, topology, dir, esdrBin string, logf func(string, ...any)) (*bed, error) {
	b := &bed{engine: engine, dir: dir, esdrBin: esdrBin, logf: logf}
	slots := 1
	if topology == fleet {
		slots = 3
		logf("starting a 3-member etcd...")
		e, err := peers.LaunchEtcdProcs(dir, 3)
		if err != nil {
			return nil, fmt.Errorf("chaos: etcd: %w", err)
		}
		b.etcd = e
	} else if err := b.mountDisk(); err != nil {
		logf("%v: the disk-full family will fail", err)
	}
	n, err := startNamed(dir)
	if err != nil {
		b.stop()
		return nil, err
	}
	b.named = n
	logf("starting %s: two clusters of 3 nodes...", engine)
	// One after the other: each picks free ports when it is laid out, and two clusters
	// laid out at once can pick the same ones.
	for i, name := range []string{"chaos-primary", "chaos-standby"} {
		c, err := testbed.Start(ctx, testbed.Spec{Engine: engine, Cluster: name, Nodes: 3, Dir: dir, FormTimeout: formTimeout})
		if err != nil {
			b.stop()
			return nil, fmt.Errorf("chaos: start %s: %w", engine, err)
		}
		b.clusters[i] = c
	}
	b.fwd = make([][2]netfault.Group, slots)
	for s := range slots {
		for i, c := range b.clusters {
			g, err := netfault.ForwardAll(c.URLs())
			if err != nil {
				b.stop()
				return nil, fmt.Errorf("chaos: forwarders for %s: %w", c.Name, err)
			}
			b.fwd[s][i] = g
		}
	}
	for i, c := range b.clusters {
		g, err := netfault.ForwardAll(c.URLs())
		if err != nil {
			b.stop()
			return nil, fmt.Errorf("chaos: client forwarders for %s: %w", c.Name, err)
		}
		b.clientFwd[i] = g
	}
	return b, nil
}

func (b *bed) stop() {
	for _, g := range b.clientFwd {
		if g != nil {
			_ = g.Close()
		}
	}
	for _, gs := range b.fwd {
		for _, g := range gs {
			if g != nil {
				_ = g.Close()
			}
		}
	}
	for _, c := range b.clusters {
		if c != nil {
			_ = c.Destroy()
		}
	}
	if b.named != nil {
		b.named.Stop()
	}
	if b.etcd != nil {
		b.etcd.Stop()
	}
	b.unmountDisk()
}

// slow holds back every answer of cluster i's nodes to every member by d (0: none).
func (b *bed) slow(i int, d time.Duration) {
	for s := range b.fwd {
		b.fwd[s][i].SetLatency(d)
	}
}

// cut sets the forwarders of cluster i for the given member slots (all when none).
func (b *bed) cut(i int, mode netfault.Mode, slots ...int) {
	if len(slots) == 0 {
		for s := range b.fwd {
			slots = append(slots, s)
		}
	}
	for _, s := range slots {
		b.fwd[s][i].Mode(mode)
	}
}

// heal undoes every fault a run may have left: forwarders pass again, paused nodes are
// resumed, killed ones restarted, and both clusters have formed with all their nodes,
// carry no read-only fence (esdr fences the cluster it fails over from), and with
// dropRuns (before a run, never after its faults) no run's index.
func (b *bed) heal(ctx context.Context, dropRuns bool) error {
	if b.etcd != nil {
		if err := b.etcd.Heal(); err != nil {
			return fmt.Errorf("chaos: heal etcd: %w", err)
		}
	}
	for i, c := range b.clusters {
		b.cut(i, netfault.Pass)
		b.slow(i, 0)
		if b.clientFwd[i] != nil {
			b.clientFwd[i].Mode(netfault.Pass)
		}
		if err := c.Resume(); err != nil {
			return fmt.Errorf("chaos: heal %s: %w", c.Name, err)
		}
		for _, n := range c.Nodes {
			if n.State() == testbed.Stopped {
				if err := n.Start(); err != nil {
					return fmt.Errorf("chaos: heal %s: %w", c.Name, err)
				}
			}
		}
	}
	for _, c := range b.clusters {
		wctx, cancel := context.WithTimeout(ctx, formTimeout)
		err := c.WaitFormed(wctx, len(c.Nodes))
		cancel()
		if err != nil {
			return fmt.Errorf("chaos: heal %s: %w", c.Name, err)
		}
	}
	// A run's index left behind (a runner failure before its cleanup) would make the
	// next fresh esdr refuse to start: more writes on the standby than on the preferred
	// cluster is its sign of a lost state file (internal/bootstrap).
	for _, c := range b.clusters {
		if err := unfence(ctx, c); err != nil {
			return err
		}
		if !dropRuns {
			continue
		}
		if err := dropIndex(ctx, c, "chaos-*"); err != nil {
			return err
		}
	}
	return nil
}

// signalEsdr sends sig to the esdr process running on config. esdrproc does not expose
// its pid, so it is found in /proc by the config path on its command line, which is
// unique to the run.
func signalEsdr(config string, sig syscall.Signal) error {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return fmt.Errorf("chaos: find esdr: %w", err)
	}
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !strings.Contains(string(cmd), "\x00run\x00-c\x00"+config+"\x00") {
			continue
		}
		if err := syscall.Kill(pid, sig); err != nil {
			return fmt.Errorf("chaos: esdr pid %d: %v: %w", pid, sig, err)
		}
		return nil
	}
	return fmt.Errorf("chaos: no esdr process runs on %s", config)
}
