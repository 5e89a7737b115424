package decide

import (
	"fmt"
	"time"
)

// command decides an operator's request. Switchover is allowed while paused: pause stops
// esdr from acting on its own, not an operator from acting through it.
func command(prev State, obs Observations, cmd Command, now time.Time, p Policy) (State, Decision) {
	next := prev
	switch cmd.Kind {
	case CmdPause:
		next.Paused = true
		return next, update(next, CodePausedSet, "paused by "+who(cmd))
	case CmdResume:
		next.Paused = false
		return next, update(next, CodeResumed, "resumed by "+who(cmd))
	case CmdAck:
		if !prev.InHoldDown(now) {
			return prev, none(prev, CodeNothingToAck, "no hold-down is active")
		}
		next.HoldDownUntil = time.Time{}
		return next, update(next, CodeAcknowledged, "hold-down lifted by "+who(cmd))
	case CmdSwitchover:
		return switchover(prev, obs, cmd, now, p)
	}
	return prev, refuse(prev, CodeUnknownCluster, fmt.Sprintf("unknown command %q, want switchover, pause, resume or ack", cmd.Kind))
}

func switchover(prev State, obs Observations, cmd Command, now time.Time, p Policy) (State, Decision) {
	if !p.Has(cmd.To) {
		return prev, refuse(prev, CodeUnknownCluster,
			fmt.Sprintf("switchover target %q is not a configured cluster, want one of %v", cmd.To, p.Clusters))
	}
	if cmd.To == prev.Active {
		return prev, none(prev, CodeAlreadyActive, fmt.Sprintf("%s is already active at epoch %d", cmd.To, prev.Epoch))
	}
	target := obs.of(cmd.To)
	if why := lagging(obs, cmd.To, p); why != "" {
		if !cmd.Force {
			return prev, refuse(prev, CodeStandbyLagging, "switchover refused: "+why+"; wait for it to catch up (a cluster traffic left is fenced: "+
				"esdr resync --to "+cmd.To+" replays what it lacks while it is not active), or use --force to override")
		}
		if target.Up() {
			return transition(prev, ActSwitchover, CodeSwitchoverForced, cmd.To,
				fmt.Sprintf("switchover to %s forced by %s although %s", cmd.To, who(cmd), why), now, 0)
		}
	}
	if target.Up() {
		return transition(prev, ActSwitchover, CodeSwitchover, cmd.To,
			fmt.Sprintf("switchover to %s requested by %s", cmd.To, who(cmd)), now, 0)
	}
	state := fmt.Sprintf("%s is %s (%s)", cmd.To, target.Verdict, target.Last)
	if target.Verdict == "" || target.Last == "" {
		state = fmt.Sprintf("%s has no result yet", cmd.To)
	}
	if !cmd.Force {
		return prev, refuse(prev, CodeSwitchoverRefused, "switchover refused: "+state+"; use --force to override")
	}
	return transition(prev, ActSwitchover, CodeSwitchoverForced, cmd.To,
		fmt.Sprintf("switchover to %s forced by %s although %s", cmd.To, who(cmd), state), now, 0)
}

func update(s State, c Code, reason string) Decision {
	return Decision{Action: ActUpdate, Epoch: s.Epoch, Code: c, Reason: reason}
}

func refuse(s State, c Code, reason string) Decision {
	return Decision{Action: ActRefuse, Epoch: s.Epoch, Code: c, Reason: reason}
}

func who(cmd Command) string {
	if cmd.By == "" {
		return "an operator"
	}
	return cmd.By
}
