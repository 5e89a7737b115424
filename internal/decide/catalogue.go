package decide

// Code names one situation esdr can find itself in. The set is closed: every decision
// and every finding across vantage points carries exactly one, and logs, metrics, events and the API all speak of it by this name.
type Code string

// Mode describes a Code: what it means and whether it is enough, on its own, to act on.
type Mode struct {
	Description string
	// Actionable is true when this situation alone justifies changing the active
	// cluster (orchestrator's distinction between "I cannot see it" and "it is dead").
	Actionable bool
}

// The catalogue of situations.
const (
	CodeStarting          Code = "starting"
	CodeActiveHealthy     Code = "active-healthy"
	CodeActiveDegraded    Code = "active-degraded"
	CodeActiveUnknown     Code = "active-unknown"
	CodeActiveDown        Code = "active-down"
	CodeNoHealthyTarget   Code = "no-healthy-target"
	CodeAllDown           Code = "all-down"
	CodeAutoFailoverOff   Code = "auto-failover-off"
	CodeHoldDown          Code = "hold-down"
	CodePaused            Code = "paused"
	CodeFailbackReady     Code = "failback-ready"
	CodeFailbackWaiting   Code = "failback-waiting"
	CodeFailback          Code = "failback"
	CodeSwitchover        Code = "switchover"
	CodeSwitchoverForced  Code = "switchover-forced"
	CodeSwitchoverRefused Code = "switchover-refused"
	CodeAlreadyActive     Code = "already-active"
	CodeUnknownCluster    Code = "unknown-cluster"
	CodeActiveRemoved     Code = "active-removed"
	CodePausedSet         Code = "pause"
	CodeResumed           Code = "resume"
	CodeAcknowledged      Code = "ack"
	CodeNothingToAck      Code = "nothing-to-ack"
	// CodeStandbyLagging: in mirror mode the target lacks more journaled writes than
	// the policy allows (Patroni's maximum_lag_on_failover).
	CodeStandbyLagging Code = "standby-lagging"
	// CodeElectionGrace: the active cluster's control plane is stalled while it serves;
	// esdr waits for it to elect a master. CodeStalledPastGrace: it did not in time.
	CodeElectionGrace    Code = "election-grace"
	CodeStalledPastGrace Code = "stalled-past-grace"
	// CodeActiveBlind: esdr cannot see the active cluster (its credentials refused, its
	// certificate untrusted, esdr out of file descriptors).
	CodeActiveBlind Code = "active-blind"
	// CodeActiveRecovering: the active cluster is down by its threshold, but its latest
	// probes pass again; esdr does not fail over on failures that have stopped.
	CodeActiveRecovering Code = "active-recovering"
	// CodeReElected: a finding of the control loop, not a decision: a stalled cluster
	// elected a master by itself within its grace.
	CodeReElected Code = "re-elected"
	// CodeBootstrap: the first state was stated by an operator (esdr run --bootstrap-active).
	CodeBootstrap Code = "bootstrap"

	// Findings across the fleet's vantage points (see Combine), never decisions.
	CodePartitionedFromPrimary Code = "partitioned-from-primary"
	CodeNoQuorum               Code = "no-quorum"
)

// Catalogue describes every Code. A code missing from it is a bug, caught by a test.
var Catalogue = map[Code]Mode{
	CodeStarting:          {"no active cluster chosen yet; esdr takes the preferred cluster", false},
	CodeActiveHealthy:     {"the active cluster passes its checks", false},
	CodeActiveDegraded:    {"the active cluster serves within tolerance (yellow or fewer nodes)", false},
	CodeActiveUnknown:     {"not enough results yet, or not enough agreeing vantage points, to judge the active cluster", false},
	CodeActiveDown:        {"the active cluster failed its checks the threshold number of times in a row", true},
	CodeNoHealthyTarget:   {"the active cluster is down and no other cluster is known to be up: nothing to fail over to", false},
	CodeAllDown:           {"every configured cluster is down", false},
	CodeAutoFailoverOff:   {"the active cluster is down but automatic failover is disabled; waiting for a switchover", false},
	CodeHoldDown:          {"an automatic transition was suppressed because the hold-down after the last one is active; run esdr ack to lift it", false},
	CodePaused:            {"esdr is paused: observing only, no automatic action", false},
	CodeFailbackReady:     {"the preferred cluster is up again; failback is manual and waits for esdr switchover", false},
	CodeFailbackWaiting:   {"the preferred cluster is up again; automatic failback waits for it to stay up for the whole window", false},
	CodeFailback:          {"automatic return to the preferred cluster after it stayed up for the failback window", true},
	CodeSwitchover:        {"planned switchover requested by an operator", true},
	CodeSwitchoverForced:  {"switchover forced by an operator to a cluster not known to be up", true},
	CodeSwitchoverRefused: {"switchover refused: the target is not up (use force to override)", false},
	CodeAlreadyActive:     {"switchover target is already the active cluster", false},
	CodeUnknownCluster:    {"the command names a cluster that is not configured", false},
	CodeActiveRemoved:     {"the stored active cluster is no longer configured; esdr keeps it until an operator switches over", false},
	CodePausedSet:         {"an operator paused esdr", false},
	CodeResumed:           {"an operator resumed esdr", false},
	CodeAcknowledged:      {"an operator acknowledged the last transition; the hold-down is lifted", false},
	CodeNothingToAck:      {"ack requested but no hold-down is active", false},
	CodeStandbyLagging: {"the failover target lacks more journaled writes than mirror.max_lag_on_failover allows; esdr waits for it " +
		"to catch up (esdr switchover --force overrides, and the new active cluster misses those writes until they are applied)", false},
	CodeElectionGrace: {"the active cluster's control plane is stalled (its master hung or being re-elected) while a majority of " +
		"master-eligible nodes answer and reads are served; esdr waits up to the election grace for the cluster to heal itself", false},
	CodeStalledPastGrace: {"the active cluster's control plane stayed stalled past the election grace: it did not elect a master by itself", true},
	CodeActiveBlind: {"esdr cannot see the active cluster: its credentials were refused (401/403), the cluster's certificate is not " +
		"trusted, or esdr is out of file descriptors; this says nothing about the cluster's health, so esdr holds (fix the cause; " +
		"esdr switchover still works)", false},
	CodeActiveRecovering: {"the active cluster failed its checks the threshold number of times, but its latest probes pass " +
		"again (short of the success threshold); failures that have stopped are not evidence that users are hurt, so esdr " +
		"holds while the cluster recovers and fails over only if it fails again", false},
	CodeReElected: {"a cluster whose control plane had stalled elected a master by itself within its grace: no failover was needed", false},
	CodeBootstrap: {"an operator initialised the state with esdr run --bootstrap-active, naming the active cluster, " +
		"instead of esdr taking the preferred cluster on a first start", false},
	CodePartitionedFromPrimary: {"one vantage point cannot see the active cluster while a quorum of others see it up: " +
		"that member is cut off from the primary, which is not down (orchestrator's UnreachablePrimary); never a reason to fail over alone", false},
	CodeNoQuorum: {"fewer fresh vantage points than the configured quorum report observations: every cluster is unknown, so no automatic failover", false},
}

// Describe returns the catalogue description of c, or c itself when it is unknown.
func (c Code) Describe() string {
	if m, ok := Catalogue[c]; ok {
		return m.Description
	}
	return string(c)
}
