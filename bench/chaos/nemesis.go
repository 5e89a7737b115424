package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/esdr/esdr/testbed"
	"github.com/esdr/esdr/testbed/esdrproc"
	"github.com/esdr/esdr/testbed/netfault"
)

// nemesis applies a run's schedule to the bed and to esdr, recording each fault's start
// and, once it is undone and the evidence of that is in (the cluster formed again, esdr's
// admin API answering), its end.
type nemesis struct {
	bed *bed
	rec *Recorder

	mu       sync.Mutex
	esdr     *esdrproc.Proc // replaced when esdr is restarted
	esdrDir  string
	esdrCfg  string // its configuration file's path, which names its process
	esdrYAML string // the configuration, for a restart
	esdrAddr string
}

func (n *nemesis) proc() *esdrproc.Proc {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.esdr
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
	case "esdr-kill":
		n.proc().Kill()
		n.rec.Add(Entry{Type: TypeFault, Phase: PhaseStart, Fault: &f})
		sleep(ctx, st.dur)
		p, err := n.bed.startEsdr(ctx, n.esdrDir, n.esdrAddr, n.esdrYAML)
		if err != nil {
			return err
		}
		n.mu.Lock()
		n.esdr = p
		n.mu.Unlock()
	case "esdr-stop":
		if err := signalEsdr(n.esdrCfg, syscall.SIGSTOP); err != nil {
			return err
		}
		n.rec.Add(Entry{Type: TypeFault, Phase: PhaseStart, Fault: &f})
		sleep(ctx, st.dur)
		if err := signalEsdr(n.esdrCfg, syscall.SIGCONT); err != nil {
			return err
		}
	case "partition":
		i := slices.Index(clusterNames[:], st.target)
		f.EsdrCut = true
		n.bed.fwd[i].Mode(netfault.Blackhole)
		n.rec.Add(Entry{Type: TypeFault, Phase: PhaseStart, Fault: &f})
		sleep(ctx, st.dur)
		n.bed.fwd[i].Mode(netfault.Pass)
	case "kill", "stop":
		return n.nodes(ctx, f, st)
	default:
		return fmt.Errorf("chaos: unknown fault kind %q", st.kind)
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
