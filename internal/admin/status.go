package admin

import (
	"time"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/health"
)

// Status is what `esdr status` and GET /v1/status show; the control loop fills its
// decision part, the daemon the sections of what is turned on.
type Status struct {
	State    decide.State    `json:"state"`
	Revision uint64          `json:"revision"`
	Clusters []ClusterStatus `json:"clusters"`
	// LastDecision is the most recent decision taken by the loop (including "none").
	LastDecision decide.Decision `json:"last_decision"`
	// HoldDownActive is true while automatic transitions are suppressed.
	HoldDownActive bool `json:"hold_down_active"`
	// Plan is the most recent plan of steps (running, done, failed or superseded).
	Plan *act.Plan `json:"plan,omitempty"`
	// PendingFences names clusters esdr must still fence when it can reach them.
	PendingFences []string `json:"pending_fences,omitempty"`
	// Fleet is set when esdr runs as a fleet member.
	Fleet *FleetStatus `json:"fleet,omitempty"`
	// Mirror is set when write mirroring is on (docs/mirror.md).
	Mirror *MirrorStatus `json:"mirror,omitempty"`
	// Snapshot is set when snapshot sync is on (docs/mirror.md, "Snapshot sync").
	Snapshot *SnapshotStatus `json:"snapshot,omitempty"`
}

// SnapshotStatus is the snapshot sync of indices written around esdr, for esdr status.
type SnapshotStatus struct {
	// From and To name the cluster snapshotted and the cluster restored; Repository and
	// Indices what the sync copies through.
	From       string   `json:"from"`
	To         string   `json:"to"`
	Repository string   `json:"repository"`
	Indices    []string `json:"indices"`
	Interval   string   `json:"interval"`
	// LastGood is when the last good cycle's snapshot began (absent: none yet) and
	// LastGoodSnapshot its name. AgeSeconds is the age of the standby's copy: the
	// recovery point for writes made around esdr (before any good cycle, the time since
	// esdr started).
	LastGood         *time.Time `json:"last_good,omitempty"`
	LastGoodSnapshot string     `json:"last_good_snapshot,omitempty"`
	AgeSeconds       float64    `json:"age_seconds"`
	// LastAttempt is when the last cycle began, LastDurationSeconds how long it took, and
	// LastError why it failed ("" when it succeeded).
	LastAttempt         *time.Time `json:"last_attempt,omitempty"`
	LastDurationSeconds float64    `json:"last_duration_seconds"`
	LastError           string     `json:"last_error,omitempty"`
	LastPruneError      string     `json:"last_prune_error,omitempty"`
	Cycles              uint64     `json:"cycles"`
	Failures            uint64     `json:"failures"`
	Restored            uint64     `json:"restored"`
	// Running is true during a cycle, and Phase then says what it is doing.
	Running bool   `json:"running"`
	Phase   string `json:"phase,omitempty"`
	// Paused says why no cycle runs: this member does not lead, no cluster of the pair is
	// active, or the cluster to restore on is fenced (until `esdr resync --to` it).
	Paused string `json:"paused,omitempty"`
	// Kept is the newest snapshot of a cluster's own copy taken before the sync first
	// restored over it after traffic moved (what it took around esdr since the last cycle
	// towards the other); delete it once nothing in it is needed.
	Kept string `json:"kept,omitempty"`
	// KeptInRepository is how many such snapshots the repository held at the last good
	// cycle (-1: not known).
	KeptInRepository int `json:"kept_in_repository"`
}

// MirrorStatus is write mirroring's journal and replication, for esdr status.
type MirrorStatus struct {
	// Pair names the two clusters kept in step.
	Pair       []string `json:"pair"`
	JournalDir string   `json:"journal_dir"`
	// LagOps is the journaled writes not yet applied; LagSeconds how long ago the oldest
	// of them was acknowledged (0 when caught up).
	LagOps     uint64  `json:"lag_ops"`
	LagSeconds float64 `json:"lag_seconds"`
	// Pending is, per cluster, the journaled writes still to apply before it holds
	// every write acknowledged through esdr.
	Pending map[string]uint64 `json:"pending"`
	// Owed is, per cluster, what it lacks of every journal: this member's Pending and, in
	// a fleet, the other members' last reports (a dead member's until esdr mirror forget).
	// A resync is done when it is 0.
	Owed map[string]uint64 `json:"owed,omitempty"`
	// JournalBytes of JournalMaxBytes are in use; past the bound writes are refused.
	JournalBytes    int64 `json:"journal_bytes"`
	JournalMaxBytes int64 `json:"journal_max_bytes"`
	// Durable is the last journaled seq; Applied the last one both clusters have (the
	// lower cursor), and Cursors each cluster's own: it has every record meant for it
	// up to that seq.
	Durable uint64            `json:"durable_seq"`
	Applied uint64            `json:"applied_seq"`
	Cursors map[string]uint64 `json:"cursors,omitempty"`
	// AppliedTotal counts records applied since start; Rate is the replay rate per second.
	AppliedTotal uint64  `json:"applied_total"`
	Rate         float64 `json:"rate"`
	Retries      uint64  `json:"retries"`
	LastError    string  `json:"last_error,omitempty"`
	// Fenced names the clusters whose last replay the cluster-wide read-only block
	// refused: the old primary esdr fenced when traffic left it, whose writes wait for
	// esdr resync (or a switchover to it).
	Fenced []string `json:"fenced,omitempty"`
	// Stopped says why replication stopped (a refused record, a corrupt
	// journal); a human must act (esdr mirror restart, once the cause is fixed).
	Stopped string `json:"stopped,omitempty"`
	// StoppedAt is, per cluster whose replication stopped on a refused record, that
	// record's seq: the one esdr mirror restart --skip may leave out.
	StoppedAt map[string]uint64 `json:"stopped_at,omitempty"`
	// Members are, in a fleet, every member's last report of what its journal owes each
	// cluster, live members and dead ones alike (a dead one's stays until it returns or
	// esdr mirror forget); this member's own Pending is above.
	Members []MirrorMember `json:"members,omitempty"`
}

// MirrorMember is one fleet member's last mirror report.
type MirrorMember struct {
	Member   string            `json:"member"`
	Epoch    uint64            `json:"epoch"`
	Reported string            `json:"reported"` // how long ago
	Owes     map[string]uint64 `json:"owes"`
}

// FleetStatus is the fleet as the member answering sees it.
type FleetStatus struct {
	// Member and Vantage name the member that answered; Leading says whether it leads.
	Member  string `json:"member"`
	Vantage string `json:"vantage"`
	Leading bool   `json:"leading"`
	// Leader is the member that leads now ("" when none does).
	Leader string `json:"leader"`
	// Members are the live members, by name.
	Members []FleetMember `json:"members"`
	// Views are the members' published verdicts of every cluster (leader only).
	Views []FleetView `json:"views,omitempty"`
	// Findings are what the leader noticed across views that is not a decision,
	// such as a member partitioned from the primary.
	Findings []decide.Finding `json:"findings,omitempty"`
	// EpochAge is how long ago etcd last confirmed this member's view of the epoch; its
	// proxy fails closed past the configured bound. -1 when never.
	EpochAge string `json:"epoch_age"`
}

// FleetMember is one live member.
type FleetMember struct {
	Name    string `json:"name"`
	Vantage string `json:"vantage"`
	Admin   string `json:"admin,omitempty"`
	Proxy   string `json:"proxy,omitempty"`
}

// FleetView is what one member reported of every cluster, and when.
type FleetView struct {
	Member   string                    `json:"member"`
	Vantage  string                    `json:"vantage"`
	At       time.Time                 `json:"at"`
	Verdicts map[string]health.Verdict `json:"verdicts"`
}

// ClusterStatus is one configured cluster as esdr sees it.
type ClusterStatus struct {
	Name string `json:"name"`
	// Role is "primary" for the preferred cluster, "standby" otherwise.
	Role        string             `json:"role"`
	Active      bool               `json:"active"`
	Nodes       []string           `json:"nodes"`
	Observation health.Observation `json:"observation"`
}

// ClusterStatuses lists clusters in order of preference (the first is the primary) with
// what obs says of each; a cluster obs does not mention is Unknown.
func ClusterStatuses(clusters []string, nodes map[string][]string, active string, obs map[string]health.Observation) []ClusterStatus {
	out := make([]ClusterStatus, 0, len(clusters))
	for i, name := range clusters {
		role := "standby"
		if i == 0 {
			role = "primary"
		}
		o, ok := obs[name]
		if !ok {
			o = health.Observation{Cluster: name, Verdict: health.VerdictUnknown}
		}
		out = append(out, ClusterStatus{Name: name, Role: role, Active: name == active, Nodes: nodes[name], Observation: o})
	}
	return out
}
