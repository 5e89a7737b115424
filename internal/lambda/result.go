package lambda

import (
	"maps"
	"slices"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/decide"
)

// CodeInsufficientData is the function's own code for an INSUFFICIENT_DATA event, which
// is no observation at all; every other Result.Code is from decide's catalogue.
const CodeInsufficientData = "insufficient-data"

// Result is what one invocation decided and did; it is the function's return value and
// the body of its "handled" log line.
type Result struct {
	Alarm  Alarm  `json:"alarm"`
	Action string `json:"action"`
	Code   string `json:"code"`
	Reason string `json:"reason"`
	From   string `json:"from,omitempty"`
	To     string `json:"to,omitempty"`
	Epoch  uint64 `json:"epoch"`
	// Blocked is true when the primary is down but the decision refuses to move traffic
	// (no healthy standby, every cluster down, hold-down, automatic failover off), or the
	// alarm fired and the probe from here cannot see the primary (blind): an operator is
	// needed, and Reason says why.
	Blocked bool `json:"blocked"`
	// Switched is true when this invocation ran a plan to the end and stored its epoch.
	Switched     bool              `json:"switched"`
	Observations map[string]string `json:"observations,omitempty"`
	Steps        []string          `json:"steps,omitempty"`
}

func blocking(c decide.Code) bool {
	switch c {
	case decide.CodeNoHealthyTarget, decide.CodeAllDown, decide.CodeHoldDown, decide.CodeAutoFailoverOff,
		decide.CodeActiveBlind:
		return true
	}
	return false
}

// summarize renders each observation as "up: healthy: status green, 1 nodes".
func summarize(obs decide.Observations) map[string]string {
	out := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(obs)) {
		o := obs[name]
		s := string(o.Verdict) + ": " + string(o.Last)
		if o.Detail != "" {
			s += ": " + o.Detail
		}
		out[name] = s
	}
	return out
}

// steps renders a plan's steps as "fence primary: deferred (error)".
func steps(p *act.Plan) []string {
	if p == nil {
		return nil
	}
	out := make([]string, len(p.Steps))
	for i, s := range p.Steps {
		out[i] = string(s.Kind) + " " + s.Name + ": " + string(s.Status)
		if s.Error != "" {
			out[i] += " (" + s.Error + ")"
		}
	}
	return out
}
