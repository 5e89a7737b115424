package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/esdr/esdr/testbed"
	"github.com/esdr/esdr/testbed/netfault"
)

// nemesis applies a run's schedule to the bed and to esdr, recording each fault's start
// and, once it is undone and the evidence of that is in (the cluster formed again, esdr's
// admin API answering, etcd healthy), its end.
type nemesis struct {
	bed     *bed
	rec     *Recorder
	members []*member
}

// run applies every step at its time after start, concurrently, and returns when all
// are undone. The first error is returned; the other steps still run to their end.
func (n *nemesis) run(ctx context.Context, s schedule, start time.Time) error {
	errs := make([]error, len(s.steps))
	var wg sync.WaitGroup
	for i, st := range s.steps {
		wg.Go(func() {
			sleep(ctx, time.Until(start.Add(st.at)))
			errs[i] = n.apply(ctx, i+1, st)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}

func (n *nemesis) apply(ctx context.Context, id int, st step) error {
	f := Fault{ID: id, Kind: st.kind, Target: st.target}
	switch st.kind {
	case "esdr-kill", "esdr-stop":
		return n.esdr(ctx, f, st)
	case "etcd-kill", "etcd-stop":
		return n.etcdMember(ctx, f, st)
	case "partition":
		i := slices.Index(clusterNames[:], st.target)
		var slots []int // every member's path
		if st.pick == "member" {
			// One member's path only: the others' views outvote it.
			m := n.members[len(n.members)-1]
			slots, f.Members = []int{m.slot}, []string{m.name}
		} else {
			f.EsdrCut = true
		}
		n.bed.cut(i, netfault.Blackhole, slots...)
		n.rec.Add(Entry{Type: TypeFault, Phase: PhaseStart, Fault: &f})
		sleep(ctx, st.dur)
		n.bed.cut(i, netfault.Pass, slots...)
	case "client-partition":
		i := slices.Index(clusterNames[:], st.target)
		n.bed.clientFwd[i].Mode(netfault.Blackhole)
		n.rec.Add(Entry{Type: TypeFault, Phase: PhaseStart, Fault: &f})
		sleep(ctx, st.dur)
		n.bed.clientFwd[i].Mode(netfault.Pass)
	case "unauthorized":
		i := slices.Index(clusterNames[:], st.target)
		n.bed.cut(i, netfault.Unauthorized)
		n.rec.Add(Entry{Type: TypeFault, Phase: PhaseStart, Fault: &f})
		sleep(ctx, st.dur)
		n.bed.cut(i, netfault.Pass)
	case "slow":
		i := slices.Index(clusterNames[:], st.target)
		f.Latency = st.latency
		n.bed.slow(i, st.latency)
		n.rec.Add(Entry{Type: TypeFault, Phase: PhaseStart, Fault: &f})
		sleep(ctx, st.dur)
		n.bed.slow(i, 0)
	case "disk-full":
		filler, err := n.bed.fillDisk(ctx)
		if err != nil {
			return err
		}
		n.rec.Add(Entry{Type: TypeFault, Phase: PhaseStart, Fault: &f})
		sleep(ctx, st.dur)
		if err := os.Remove(filler); err != nil {
			return fmt.Errorf("chaos: empty the disk: %w", err)
		}
	case "kill", "stop":
		return n.nodes(ctx, f, st)
	case "flap":
		return n.flap(ctx, f, st)
	default:
		return fmt.Errorf("chaos: unknown fault kind %q", st.kind)
	}
	n.rec.Add(Entry{Type: TypeFault, Phase: PhaseEnd, Fault: &f})
	return nil
}

// esdr kills (then restarts on its state) or hangs (then resumes) one esdr member: the
// one in the embedded topology, the leader or a follower in a fleet.
func (n *nemesis) esdr(ctx context.Context, f Fault, st step) error {
	m, err := n.pickMember(ctx, st.pick)
	if err != nil {
		return err
	}
	f.Members = []string{m.name}
	if st.kind == "esdr-kill" {
		m.current().Kill()
	} else if err := signalEsdr(m.cfg, syscall.SIGSTOP); err != nil {
		return err
	}
	n.rec.Add(Entry{Type: TypeFault, Phase: PhaseStart, Fault: &f})
	sleep(ctx, st.dur)
	if st.kind == "esdr-kill" {
		err = m.start(ctx, n.bed.esdrBin)
	} else {
		err = signalEsdr(m.cfg, syscall.SIGCONT)
	}
	if err != nil {
		return err
	}
	n.rec.Add(Entry{Type: TypeFault, Phase: PhaseEnd, Fault: &f})
	return nil
}

// pickMember resolves a member pick now: "leader", or "follower" (the last member
// that does not lead).
func (n *nemesis) pickMember(ctx context.Context, pick string) (*member, error) {
	if len(n.members) == 1 {
		return n.members[0], nil
	}
	l, err := leader(ctx, n.members)
	if err != nil {
		return nil, err
	}
	if pick == "leader" {
		return l, nil
	}
	for i := len(n.members) - 1; i >= 0; i-- {
		if n.members[i] != l {
			return n.members[i], nil
		}
	}
	return nil, fmt.Errorf("chaos: no follower to pick")
}

// etcdMember kills or hangs one etcd member, its leader or a follower, then restarts or
// resumes it and waits until etcd is healthy again.
func (n *nemesis) etcdMember(ctx context.Context, f Fault, st step) error {
	e := n.bed.etcd
	lead, err := e.Leader(ctx)
	if err != nil {
		return err
	}
	hit := lead
	if st.pick != "leader" {
		hit = (lead + 1) % e.Members()
	}
	f.Members = []string{fmt.Sprintf("etcd-m%d", hit)}
	if st.kind == "etcd-kill" {
		err = e.Kill(hit)
	} else {
		err = e.Pause(hit)
	}
	if err != nil {
		return fmt.Errorf("chaos: fault %d: %w", f.ID, err)
	}
	n.rec.Add(Entry{Type: TypeFault, Phase: PhaseStart, Fault: &f})
	sleep(ctx, st.dur)
	if err := e.Heal(); err != nil {
		return fmt.Errorf("chaos: fault %d undo: %w", f.ID, err)
	}
	n.rec.Add(Entry{Type: TypeFault, Phase: PhaseEnd, Fault: &f})
	return nil
}

// nodes kills or hangs the picked nodes of a cluster, then restarts or resumes them and
// waits until the cluster has formed again with all of them.
func (n *nemesis) nodes(ctx context.Context, f Fault, st step) error {
	c := n.bed.clusters[slices.Index(clusterNames[:], st.target)]
	hit, err := pickNodes(ctx, c, st.pick)
	if err != nil {
		return err
	}
	for _, nd := range hit {
		f.Nodes = append(f.Nodes, nd.Name)
	}
	f.QuorumLost = 2*len(hit) > len(c.Nodes)
	// Recorded before the signals: a failover decided while they are being sent is the
	// fault's doing.
	n.rec.Add(Entry{Type: TypeFault, Phase: PhaseStart, Fault: &f})
	for _, nd := range hit {
		if st.kind == "kill" {
			err = nd.Kill()
		} else {
			err = nd.Pause()
		}
		if err != nil {
			return fmt.Errorf("chaos: fault %d: %w", f.ID, err)
		}
	}
	sleep(ctx, st.dur)
	for _, nd := range hit {
		if st.kind == "kill" {
			err = nd.Start()
		} else {
			err = nd.Resume()
		}
		if err != nil {
			return fmt.Errorf("chaos: fault %d undo: %w", f.ID, err)
		}
	}
	wctx, cancel := context.WithTimeout(ctx, formTimeout)
	defer cancel()
	if err := c.WaitFormed(wctx, len(c.Nodes)); err != nil {
		return fmt.Errorf("chaos: fault %d: %s did not form again: %w", f.ID, c.Name, err)
	}
	n.rec.Add(Entry{Type: TypeFault, Phase: PhaseEnd, Fault: &f})
	return nil
}

// pickNodes resolves a pick against the cluster's elected master now.
func pickNodes(ctx context.Context, c *testbed.Cluster, pick string) ([]*testbed.Node, error) {
	if pick == "all" {
		return c.Nodes, nil
	}
	m, err := c.Master(ctx)
	if err != nil {
		return nil, fmt.Errorf("chaos: %s: elected master: %w", c.Name, err)
	}
	var others []*testbed.Node
	for _, nd := range c.Nodes {
		if nd != m {
			others = append(others, nd)
		}
	}
	switch pick {
	case "master":
		return []*testbed.Node{m}, nil
	case "minority":
		return others[:1], nil
	case "quorum-master":
		return []*testbed.Node{m, others[0]}, nil
	case "quorum-followers":
		return others[:2], nil
	}
	return nil, fmt.Errorf("chaos: unknown node pick %q", pick)
}
