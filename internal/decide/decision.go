package decide

// Action is what a decision asks the act step to do.
type Action string

const (
	// ActNone: keep things as they are.
	ActNone Action = "none"
	// ActFailover: the active cluster is down; move traffic to a healthy standby.
	ActFailover Action = "failover"
	// ActSwitchover: an operator asked to move traffic.
	ActSwitchover Action = "switchover"
	// ActFailback: automatic return to the preferred cluster.
	ActFailback Action = "failback"
	// ActRefuse: an operator's command was refused; nothing changes.
	ActRefuse Action = "refuse"
	// ActUpdate: only bookkeeping changed (pause, resume, ack, first start).
	ActUpdate Action = "update"
)

// Decision is the outcome of one Decide call.
type Decision struct {
	Action Action `json:"action"`
	// From and To are set when the active cluster changes (To == next State.Active).
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Epoch is the epoch of the next state.
	Epoch uint64 `json:"epoch"`
	// Code is the catalogue code that explains the decision; Reason adds the particulars.
	Code   Code   `json:"code"`
	Reason string `json:"reason"`
}

// Transitions reports whether this decision changes the active cluster.
func (d Decision) Transitions() bool {
	switch d.Action {
	case ActFailover, ActSwitchover, ActFailback:
		return true
	}
	return false
}
