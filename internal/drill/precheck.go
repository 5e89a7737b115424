package drill

import (
	"fmt"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/health"
)

// Scenario names what a drill does to the deployment.
type Scenario string

const (
	// ScenarioSwitchover is a planned switchover to a standby and back: safe against any
	// deployment, it needs the admin token.
	ScenarioSwitchover Scenario = "switchover"
	// ScenarioFault runs the operator's own fault command (kill, hang, partition of the
	// active cluster) and lets esdr fail over by itself.
	ScenarioFault Scenario = "fault"
)

// Check is one precondition and whether it holds.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Precheck judges, from esdr's own status, whether a drill of scenario may start. It
// changes nothing. In fleet mode it adds the fleet's own preconditions (fleetChecks), with write
// mirroring on the mirror's (mirrorChecks). target is the standby the drill expects traffic to move to ("" means
// any healthy standby); the chosen one is returned.
func Precheck(st admin.Status, scenario Scenario, target string) (checks []Check, chosen string) {
	add := func(name string, ok bool, format string, a ...any) {
		checks = append(checks, Check{Name: name, OK: ok, Detail: fmt.Sprintf(format, a...)})
	}
	s := st.State
	add("esdr has chosen an active cluster", s.Initialized(), "active %q at epoch %d", s.Active, s.Epoch)
	add("esdr is not paused", !s.Paused, "paused=%t; run esdr resume first", s.Paused)
	if scenario == ScenarioFault {
		// A planned switchover is an operator command and passes a hold-down; a fault
		// needs esdr to act by itself.
		add("no hold-down is active", !st.HoldDownActive, "hold_down_active=%t; esdr would not fail over; run esdr ack first", st.HoldDownActive)
	}
	planOK := st.Plan == nil || !st.Plan.Open()
	planState := "none"
	if st.Plan != nil {
		planState = fmt.Sprintf("epoch %d %s", st.Plan.Epoch, st.Plan.Status)
	}
	add("no plan is in progress", planOK, "last plan: %s", planState)
	add("no fence is pending", len(st.PendingFences) == 0, "pending fences: %v", st.PendingFences)

	var active *admin.ClusterStatus
	var standbys []string
	for i, c := range st.Clusters {
		switch {
		case c.Name == s.Active:
			active = &st.Clusters[i]
		case c.Observation.Verdict == health.VerdictUp && (target == "" || c.Name == target):
			standbys = append(standbys, c.Name)
		}
	}
	switch {
	case !s.Initialized():
		// said above; nothing more to check about the active cluster
	case active != nil:
		add("the active cluster is up", active.Observation.Up(), "%s is %s (%s)", active.Name, active.Observation.Verdict, active.Observation.Detail)
	default:
		add("the active cluster is configured", false, "%q is not among the configured clusters", s.Active)
	}
	want := "a standby"
	if target != "" {
		want = "standby " + target
	}
	if len(standbys) > 0 {
		chosen = standbys[0]
		add(want+" is up", true, "%s is up: traffic can move there", chosen)
	} else {
		add(want+" is up", false, "no standby other than %q is up: a failover would have nowhere to go", s.Active)
	}
	checks = append(checks, fleetChecks(st.Fleet, s.Active, chosen)...)
	checks = append(checks, mirrorChecks(st.Mirror, chosen)...)
	return checks, chosen
}

// Passed reports whether every check holds.
func Passed(checks []Check) bool {
	for _, c := range checks {
		if !c.OK {
			return false
		}
	}
	return true
}
