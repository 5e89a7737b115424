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
)

// Passing reports whether a result of this kind counts as a success toward the
// success threshold. Degraded passes: it is within the operator's tolerance.
func (k Kind) Passing() bool { return k == KindHealthy || k == KindDegraded }

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
}

// Up reports whether the cluster is, by its verdict, fit to take traffic.
func (o Observation) Up() bool { return o.Verdict == VerdictUp }

// Down reports whether the cluster has failed its threshold.
func (o Observation) Down() bool { return o.Verdict == VerdictDown }
