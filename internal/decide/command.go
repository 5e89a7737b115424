package decide

// CommandKind names what an operator can ask of esdr.
type CommandKind string

const (
	// CmdSwitchover moves traffic to To in a planned way.
	CmdSwitchover CommandKind = "switchover"
	// CmdPause enters maintenance: observe, never act.
	CmdPause CommandKind = "pause"
	// CmdResume leaves maintenance.
	CmdResume CommandKind = "resume"
	// CmdAck acknowledges the last automatic transition and lifts the hold-down.
	CmdAck CommandKind = "ack"
)

// Command is an operator's request, decided on together with the observations so that a
// switchover to a cluster that just died is refused for the same reasons a failover would be.
type Command struct {
	Kind CommandKind `json:"kind"`
	// To is the target of a switchover.
	To string `json:"to,omitempty"`
	// Force makes a switchover proceed even when the target is not known to be up.
	Force bool `json:"force,omitempty"`
	// By names who asked, for the event log.
	By string `json:"by,omitempty"`
}
