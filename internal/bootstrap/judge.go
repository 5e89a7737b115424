// Package bootstrap is what esdr does when it has no stored state: before a first
// decision would route traffic to the preferred cluster at epoch 1, it looks at the
// clusters and the traffic targets for signs that an earlier esdr moved traffic away
// (a lost or replaced state file), and refuses to start on any sign it cannot rule out.
// An operator states the truth with esdr run --bootstrap-active CLUSTER, which Initial
// turns into the first stored state.
//
// Judge is pure: it weighs what Read read. The signs are:
//   - the preferred cluster carries cluster.blocks.read_only, esdr's fence (esdr's
//     fence bears no mark of its own, so an operator's block looks the same);
//   - a traffic target points at another configured cluster;
//   - a target remembers an epoch above 1 (a fresh epoch 1 would be refused as stale);
//   - another cluster has applied more write operations to an index than the preferred
//     one (the sum of max _seq_no + 1 over its primary shards, indices not starting
//     with a dot);
//   - a cluster or target that could not be read: it cannot be shown to be safe.
package bootstrap

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// maxIndices bounds how many indices one finding names.
const maxIndices = 3

// ClusterLook is what was read from one cluster.
type ClusterLook struct {
	Name string
	// Err is why the cluster could not be read; the other fields are then empty.
	Err error
	// Fenced is true when cluster.blocks.read_only is set (persistent or transient).
	Fenced bool
	// Ops is the number of write operations each index has applied: the sum over its
	// primary shards of max _seq_no + 1. Hidden indices (a leading dot) are left out.
	Ops map[string]int64
}

// TargetLook is what was read from one traffic target.
type TargetLook struct {
	Name string
	Err  error
	// Cluster is the configured cluster the target sends traffic to; "" when unset or
	// pointing at something that is no configured cluster.
	Cluster string
	// Epoch is the epoch the target holds, where it can hold one (an etcd key); else 0.
	Epoch uint64
}

// Look is everything read before the first start.
type Look struct {
	Preferred string
	Clusters  []ClusterLook
	Targets   []TargetLook
}

// Verdict is Judge's conclusion.
type Verdict struct {
	// Findings are the reasons not to start on the preferred cluster at epoch 1, one
	// sentence each; none means a first start is safe.
	Findings []string
	// Epoch is the epoch a bootstrapped state should take: above every epoch a target
	// remembers, so that esdr's next switches are not refused as stale. At least 1.
	Epoch uint64
}

// Safe reports whether esdr may start on the preferred cluster without being told.
func (v Verdict) Safe() bool { return len(v.Findings) == 0 }

// Judge weighs what was read. It is pure.
func Judge(l Look) Verdict {
	v := Verdict{Epoch: 1}
	var pref *ClusterLook
	for i, c := range l.Clusters {
		if c.Name == l.Preferred {
			pref = &l.Clusters[i]
		}
		switch {
		case c.Err != nil:
			v.Findings = append(v.Findings, fmt.Sprintf("cluster %s could not be read (%v), so it cannot be shown that traffic never left %s",
				c.Name, c.Err, l.Preferred))
		case c.Fenced && c.Name == l.Preferred:
			v.Findings = append(v.Findings, fmt.Sprintf("preferred cluster %s is read-only (cluster.blocks.read_only is set: "+
				"esdr fences the cluster traffic leaves, so traffic probably moved away from it)", c.Name))
		}
	}
	for _, t := range l.Targets {
		switch {
		case t.Err != nil:
			v.Findings = append(v.Findings, fmt.Sprintf("target %s could not be read (%v)", t.Name, t.Err))
		case t.Cluster != "" && t.Cluster != l.Preferred:
			v.Findings = append(v.Findings, fmt.Sprintf("target %s points at %s, not at the preferred cluster %s%s",
				t.Name, t.Cluster, l.Preferred, epochNote(t.Epoch)))
		case t.Epoch > 1:
			v.Findings = append(v.Findings, fmt.Sprintf("target %s holds epoch %d: a fresh start at epoch 1 would have its next switches refused as stale",
				t.Name, t.Epoch))
		}
		v.Epoch = max(v.Epoch, t.Epoch+1)
	}
	if pref == nil || pref.Err != nil {
		return v
	}
	for _, c := range l.Clusters {
		if c.Name == l.Preferred || c.Err != nil {
			continue
		}
		if ahead := aheadOf(c.Ops, pref.Ops); len(ahead) > 0 {
			v.Findings = append(v.Findings, fmt.Sprintf("cluster %s has applied more write operations than %s to %s",
				c.Name, l.Preferred, strings.Join(ahead, ", ")))
		}
	}
	return v
}

func epochNote(e uint64) string {
	if e == 0 {
		return ""
	}
	return fmt.Sprintf(" (epoch %d)", e)
}

// aheadOf lists the indices where other counts more operations than pref, as
// "index (N > M)", at most maxIndices of them and then how many more.
func aheadOf(other, pref map[string]int64) []string {
	var out []string
	for _, idx := range slices.Sorted(maps.Keys(other)) {
		if other[idx] > pref[idx] {
			out = append(out, fmt.Sprintf("index %s (%d > %d)", idx, other[idx], pref[idx]))
		}
	}
	if len(out) > maxIndices {
		out = append(out[:maxIndices], fmt.Sprintf("%d more", len(out)-maxIndices))
	}
	return out
}
