// Package act carries out what decide concluded: a transition becomes a plan of
// idempotent steps (fence the old cluster, lift the fence on the new one, switch each
// traffic target, notify), executed in order, journaled in the state store before and
// after each step, and resumed after a crash exactly where it stopped.
//
// Every step is tagged with the epoch of the transition it serves; a step for an epoch
// older than the stored one is never applied. Every change to a cluster's write block is
// preceded by an intent written through the store, which fences it by leadership in a
// fleet: a process that no longer leads changes nothing (ErrNotLeader).
package act

import "context"

// Switch is what a traffic target is asked to do: send traffic to To, for Epoch. A
// target must treat it idempotently — applying the same Switch twice changes nothing the
// second time — and must refuse to go backwards: a Switch whose Epoch is older than what
// the target already holds (where the target can store an epoch) is not applied.
type Switch struct {
	Epoch uint64 `json:"epoch"`
	// From is the cluster traffic leaves (empty on first start); To the one it goes to.
	From string `json:"from,omitempty"`
	To   string `json:"to"`
	// FromNodes and ToNodes are the clusters' node URLs from the configuration.
	FromNodes []string `json:"from_nodes,omitempty"`
	ToNodes   []string `json:"to_nodes"`
	// Reason is the decision's reason, for targets that record one (a TXT record, a
	// webhook payload, an etcd value).
	Reason string `json:"reason,omitempty"`
}

// Target is a place users point traffic at (Route 53, an RFC 2136 zone, an etcd key,
// HAProxy). Implementations live in internal/route/...; act only knows this method set.
type Target interface {
	// Name identifies the target in plans, events, metrics and logs, e.g. "route53:es.example.com".
	Name() string
	// Apply makes the target send traffic to sw.To and verifies it did (reads back the
	// record, the key, the server state), within ctx's deadline.
	Apply(ctx context.Context, sw Switch) error
}
