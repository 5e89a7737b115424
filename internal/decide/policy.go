package decide

import "time"

// FailbackMode says whether esdr returns to the preferred cluster by itself.
type FailbackMode string

const (
	// FailbackManual (the default): once the preferred cluster is healthy again, esdr
	// reports that failback is possible and waits for an operator's switchover. The old
	// primary lacks every write the standby took, so returning to it is a human decision.
	FailbackManual FailbackMode = "manual"
	// FailbackAuto: esdr switches back after the preferred cluster has been up for the
	// whole FailbackAfter window and no hold-down is active.
	FailbackAuto FailbackMode = "auto"
)

// Policy is the part of the configuration that the decision depends on.
type Policy struct {
	// Clusters in order of preference: the first is the primary, the rest standbys in
	// the order they are tried.
	Clusters []string
	// AutoFailover enables failing over without an operator. When false esdr still
	// observes and reports ActiveDown, and waits for a switchover.
	AutoFailover bool
	// HoldDown is how long after an automatic transition no other automatic transition
	// happens, unless acknowledged (orchestrator's anti-flap block).
	HoldDown time.Duration
	// Failback and FailbackAfter govern the return to the preferred cluster.
	Failback      FailbackMode
	FailbackAfter time.Duration
	// MaxLagOnFailover, in mirror mode, is how many journaled writes a cluster may lack
	// (its observation's MirrorLag) and still be made active automatically or by a
	// switchover without force. 0 sets no bound.
	MaxLagOnFailover uint64
}

// Preferred is the first cluster in order of preference, the one esdr starts on and
// fails back to.
func (p Policy) Preferred() string {
	if len(p.Clusters) == 0 {
		return ""
	}
	return p.Clusters[0]
}

// Has reports whether name is a configured cluster.
func (p Policy) Has(name string) bool {
	for _, c := range p.Clusters {
		if c == name {
			return true
		}
	}
	return false
}
