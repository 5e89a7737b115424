// Package health is the vocabulary shared by the watch and decide steps: what one probe saw
// (a Kind) and what a run of probes means once thresholds are applied (an Observation).
// It holds types only, so that watch (which measures) and decide (which judges) depend on
// the same words without depending on each other.
package health

import "time"

// Kind classifies one probe result. The decide step must be able to tell a refused
// connection from a hang from a red cluster, because each calls for a different story in the
// event log and a different confidence that the cluster is really gone.
type Kind string

const (
	// KindHealthy: the cluster answered and meets every requirement of the check.
	KindHealthy Kind = "healthy"
	// KindDegraded: the cluster answers and is within tolerance (for example yellow when
	// yellow is allowed, or fewer nodes than usual but above the minimum).
	KindDegraded Kind = "degraded"
	// KindRed: the cluster answered but is not fit to serve (red, below minimum nodes,
	// no elected master, string match failed).
	KindRed Kind = "red"
	// KindUnreachable: no node accepted a connection (refused, no route, DNS failure).
	KindUnreachable Kind = "unreachable"
	// KindTimeout: a connection or the answer did not arrive within the check's deadline.
	KindTimeout Kind = "timeout"
	// KindBadResponse: something answered, but not with what the check can parse
	// (HTML, truncated JSON, an unexpected HTTP status, a body over the size bound).
	KindBadResponse Kind = "bad_response"
	// KindStalled: the control plane does not answer (GET /_cluster/health times out or
	// says no master) while a majority of master-eligible nodes answer on their own and
	// the data plane serves reads: a master hung or being re-elected, which the cluster
	// heals by itself. It passes; decide grants it the observation's StallGrace.
	KindStalled Kind = "stalled"
	// KindNoQuorum: a majority of the master-eligible nodes does not answer, or no node
	// that answers knows an elected master: the cluster cannot take writes and will not
	// heal by itself. It fails at once, without waiting for the surviving nodes' own
	// fault detection to notice.
	KindNoQuorum Kind = "no_quorum"
	// KindBlind: esdr cannot see the cluster — its credentials were refused (401/403), the
	// cluster's TLS certificate is not trusted, esdr itself is out of file descriptors, or
	// no configured URL reaches the cluster (a 404 page, another cluster's node).
	// It neither passes nor fails: unknown is not down, and no failover follows from it.
	KindBlind Kind = "blind"
)

// Passing reports whether a result of this kind counts as a success toward the
// success threshold. Degraded passes: it is within the operator's tolerance.
func (k Kind) Passing() bool { return k == KindHealthy || k == KindDegraded || k == KindStalled }

// Blind reports whether a result of this kind says nothing about the cluster because
// esdr could not see it.
func (k Kind) Blind() bool { return k == KindBlind }

// Verdict is the thresholded state of a cluster, in the sense of a Route 53 health check:
// it changes only after FailureThreshold consecutive failures or SuccessThreshold
// consecutive successes.
type Verdict string

const (
	// VerdictUnknown: not enough results yet to say either way. Never a failover target,
	// and never a reason to fail over.
	VerdictUnknown Verdict = "unknown"
	// VerdictUp: the last SuccessThreshold results passed (or it was up and has not yet
	// failed FailureThreshold times in a row).
	VerdictUp Verdict = "up"
	// VerdictDown: the last FailureThreshold results failed.
	VerdictDown Verdict = "down"
	// VerdictBlind: the last FailureThreshold results were blind (KindBlind): esdr cannot
	// see the cluster and says so. Never a reason to fail over, never a failover target.
	VerdictBlind Verdict = "blind"
)

// Observation is what the watch step knows about one cluster at one moment.
type Observation struct {
	Cluster string  `json:"cluster"`
	Verdict Verdict `json:"verdict"`
	// Since is when Verdict last changed. Failback windows are measured from it.
	Since time.Time `json:"since"`
	// Last is the kind of the most recent result, and Detail its human explanation
	// (for example "3 nodes, status yellow" or "connection refused by every node").
	Last   Kind   `json:"last"`
	Detail string `json:"detail,omitempty"`
	// At is when the most recent result was taken.
	At time.Time `json:"at"`
	// ConsecutiveFailures and ConsecutiveSuccesses count the current run of results.
	ConsecutiveFailures  int `json:"consecutive_failures"`
	ConsecutiveSuccesses int `json:"consecutive_successes"`
	// LatencySeconds is the duration of the most recent probe.
	LatencySeconds float64 `json:"latency_seconds"`
	// MirrorLag is, in mirror mode, how many journaled writes this cluster still lacks
	// (docs/mirror.md); decide refuses an automatic failover to a cluster lagging past
	// the policy's bound. 0 when caught up or mirror mode is off.
	MirrorLag uint64 `json:"mirror_lag,omitempty"`
	// MirrorOwedBy names, in a fleet, the members whose journals hold MirrorLag, and when
	// each reported ("esdr-2 owes 40 (reported 35s ago at epoch 3)"); a member whose host
	// died is among them until it returns or is forgotten.
	MirrorOwedBy string `json:"mirror_owed_by,omitempty"`
	// MirrorLagUnknown says why MirrorLag cannot be told (in a fleet, before the members'
	// reports are read from etcd): decide then refuses what it would refuse past the bound,
	// since unknown is not caught up.
	MirrorLagUnknown string `json:"mirror_lag_unknown,omitempty"`
	// StalledSince is when the control plane stopped answering while the cluster kept
	// serving (results of KindStalled, and the failures that may follow them); zero once
	// it answers again. StallGrace is how long the cluster may take to re-elect a master
	// before decide counts the stall as down: derived by the watch step from the cluster's
	// own fault-detection settings, bounded by configuration.
	StalledSince time.Time     `json:"stalled_since,omitzero"`
	StallGrace   time.Duration `json:"stall_grace,omitempty"`
}

// Stalled reports whether the cluster's control plane is stalled.
func (o Observation) Stalled() bool { return !o.StalledSince.IsZero() }

// StalledPastGrace reports whether a stall has lasted the whole grace at now.
func (o Observation) StalledPastGrace(now time.Time) bool {
	return o.Stalled() && o.Last == KindStalled && now.Sub(o.StalledSince) >= o.StallGrace
}

// Up reports whether the cluster is, by its verdict, fit to take traffic. A cluster whose
// control plane is stalled is not: it serves what it has but cannot become a new active.
func (o Observation) Up() bool { return o.Verdict == VerdictUp && o.Last != KindStalled }

// Recovering reports whether a cluster still down by its threshold has begun passing
// again: its latest results are healthy or degraded, short of the success threshold.
// A failover decided now would rest on failures that have stopped — typically esdr's
// own probes timing out while esdr was starved — not on evidence that users are hurt.
// A stall does not count: decide judges it by its election grace.
func (o Observation) Recovering() bool {
	return o.Verdict == VerdictDown && o.ConsecutiveSuccesses > 0 &&
		(o.Last == KindHealthy || o.Last == KindDegraded)
}

// Down reports whether the cluster has failed its threshold.
func (o Observation) Down() bool { return o.Verdict == VerdictDown }
