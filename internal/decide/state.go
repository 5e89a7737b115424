// Package decide is esdr's judgement: a pure function from the previous state, the latest
// observations and an operator's command to the next state and what to do about it.
//
// Nothing here performs I/O, reads the clock or logs. Time comes in as an argument, so
// every decision can be replayed in a table test exactly as it happened in production.
package decide

import "time"

// State is everything esdr must remember across restarts to keep deciding the same way.
// It is stored by the state package; a compare-and-swap on its revision is how two
// writers are kept from both believing they changed it.
type State struct {
	// Active is the cluster that takes traffic in this epoch.
	Active string `json:"active"`
	// Epoch increases by one on every change of Active. It is the fencing token: every
	// actuator and the proxy act only for the current epoch.
	Epoch uint64 `json:"epoch"`
	// ActiveSince is when Active last changed (or when esdr first chose it).
	ActiveSince time.Time `json:"active_since"`
	// Paused is maintenance mode: esdr observes and reports but never acts.
	Paused bool `json:"paused"`
	// HoldDownUntil blocks further automatic transitions (failover or failback) until it
	// passes or an operator acknowledges the last failover. Zero means no hold-down.
	HoldDownUntil time.Time `json:"hold_down_until,omitzero"`
	// LastTransition is the most recent change of Active, kept for status and audit.
	LastTransition *Transition `json:"last_transition,omitempty"`
}

// Initialized reports whether esdr has chosen an active cluster yet.
func (s State) Initialized() bool { return s.Active != "" && s.Epoch > 0 }

// InHoldDown reports whether automatic transitions are suppressed at now.
func (s State) InHoldDown(now time.Time) bool {
	return !s.HoldDownUntil.IsZero() && now.Before(s.HoldDownUntil)
}

// Transition records one change of the active cluster.
type Transition struct {
	Kind   Action    `json:"kind"`
	From   string    `json:"from"`
	To     string    `json:"to"`
	Epoch  uint64    `json:"epoch"`
	Code   Code      `json:"code"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// Equal reports whether two states say the same thing. Times compare as instants, so a
// state read back from the store equals the one that was written.
func (s State) Equal(o State) bool {
	if s.Active != o.Active || s.Epoch != o.Epoch || s.Paused != o.Paused ||
		!s.ActiveSince.Equal(o.ActiveSince) || !s.HoldDownUntil.Equal(o.HoldDownUntil) {
		return false
	}
	a, b := s.LastTransition, o.LastTransition
	if a == nil || b == nil {
		return a == b
	}
	return a.Kind == b.Kind && a.From == b.From && a.To == b.To && a.Epoch == b.Epoch &&
		a.Code == b.Code && a.Reason == b.Reason && a.At.Equal(b.At)
}
