// Package state keeps what esdr decided — the active cluster, its epoch and the event
// history — so that a restart, or a crash at any instant, changes nothing.
//
// Writes are compare-and-swap on a revision: a writer that read revision r may only
// replace the state if it is still at r. That is what makes the read → decide → write
// loop safe against a second writer, locally now and through etcd later.
package state

import (
	"errors"
	"time"

	"github.com/esdr/esdr/internal/decide"
)

// ErrConflict is returned by a compare-and-swap whose expected revision is no longer
// current: someone else wrote first. The caller must re-read and decide again.
var ErrConflict = errors.New("state: revision conflict")

// Record is the stored state together with the revision it was stored at. Revision 0
// means nothing was ever stored.
type Record struct {
	State    decide.State `json:"state"`
	Revision uint64       `json:"revision"`
}

// EventKind says what an event records.
type EventKind string

const (
	// EventObserved: a cluster's verdict changed.
	EventObserved EventKind = "observed"
	// EventDecided: a decision changed the state (transition, pause, ack, ...).
	EventDecided EventKind = "decided"
	// EventRefused: an operator's command was refused, or an action was suppressed
	// (no healthy target, hold-down, pause).
	EventRefused EventKind = "refused"
	// EventActed: a step of a plan ran (with its outcome in Message).
	EventActed EventKind = "acted"
	// EventCommand: an operator's command was received.
	EventCommand EventKind = "command"
)

// Event is one line of the append-only history: what happened, when, and why.
type Event struct {
	// Seq is assigned by the store, increasing by one per event.
	Seq     uint64      `json:"seq"`
	At      time.Time   `json:"at"`
	Kind    EventKind   `json:"kind"`
	Code    decide.Code `json:"code,omitempty"`
	Cluster string      `json:"cluster,omitempty"`
	From    string      `json:"from,omitempty"`
	To      string      `json:"to,omitempty"`
	Epoch   uint64      `json:"epoch"`
	Message string      `json:"message"`
}
