package main

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// flap hangs one node of a cluster (SIGSTOP) for st.hang, resumes it, waits until the
// cluster has all its nodes again, and starts over on the node the pick names then,
// until st.dur has passed. Waiting for the cluster between hangs keeps at most one node
// away at a time, so the cluster never loses its quorum: a failover is never justified.
// A "master" pick follows the master, so each hang may force another election.
func (n *nemesis) flap(ctx context.Context, f Fault, st step) error {
	c := n.bed.clusters[slices.Index(clusterNames[:], st.target)]
	n.rec.Add(Entry{Type: TypeFault, Phase: PhaseStart, Fault: &f})
	end := time.Now().Add(st.dur)
	hangs := 0
	for time.Now().Before(end) && ctx.Err() == nil {
		hit, err := pickNodes(ctx, c, st.pick)
		if err != nil {
			return err
		}
		nd := hit[0]
		if err := nd.Pause(); err != nil {
			return fmt.Errorf("chaos: fault %d: %w", f.ID, err)
		}
		hangs++
		if !slices.Contains(f.Nodes, nd.Name) {
			f.Nodes = append(f.Nodes, nd.Name)
		}
		sleep(ctx, st.hang)
		if err := nd.Resume(); err != nil {
			return fmt.Errorf("chaos: fault %d undo: %w", f.ID, err)
		}
		wctx, cancel := context.WithTimeout(ctx, formTimeout)
		err = c.WaitFormed(wctx, len(c.Nodes))
		cancel()
		if err != nil {
			return fmt.Errorf("chaos: fault %d: %s did not form again after hang %d: %w", f.ID, c.Name, hangs, err)
		}
	}
	n.bed.logf("flap of %s: %d hang(s) of %s on %v", c.Name, hangs, st.hang, f.Nodes)
	n.rec.Add(Entry{Type: TypeFault, Phase: PhaseEnd, Fault: &f})
	return nil
}
