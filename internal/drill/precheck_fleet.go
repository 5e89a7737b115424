package drill

import (
	"fmt"
	"strings"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/health"
)

// fleetChecks are the preconditions of a drill against a fleet (f is status.fleet; nil in
// the embedded mode, which has none). A drill proves something only when the fleet could
// decide normally: a member leads, the drill talks to it (commands, the members' views and
// the findings are the leader's), nothing is in force that would change the outcome
// (a member partitioned from the primary, too few fresh vantage points for a quorum), and
// every member reaches both ends of the move, since each member's proxy carries traffic.
// The quorum size and view_max_age are not in the status: the leader's no-quorum finding
// is what says the fresh vantage points are too few.
func fleetChecks(f *admin.FleetStatus, active, target string) []Check {
	if f == nil {
		return nil
	}
	var checks []Check
	add := func(name string, ok bool, format string, a ...any) {
		checks = append(checks, Check{Name: name, OK: ok, Detail: fmt.Sprintf(format, a...)})
	}
	if f.Leader == "" {
		add("the fleet has a leader", false, "no member leads: nothing would decide or act; wait for an election (members: %s)", memberNames(f))
	} else {
		add("the fleet has a leader", true, "%s leads", f.Leader)
	}
	switch {
	case f.Leading:
		add("the drill talks to the fleet's leader", true, "%s answered and leads", f.Member)
	case f.Leader == "":
		add("the drill talks to the fleet's leader", false, "%s answered and does not lead; no member does", f.Member)
		return checks
	default:
		add("the drill talks to the fleet's leader", false,
			"%s answered but %s leads: commands, the members' views and the findings are the leader's; point --addr at %s",
			f.Member, f.Leader, adminOf(f, f.Leader))
		return checks
	}
	if len(f.Findings) == 0 {
		add("no fleet finding is in force", true, "no member partitioned from the primary, enough fresh vantage points for a quorum")
	} else {
		var fs []string
		for _, fd := range f.Findings {
			fs = append(fs, fmt.Sprintf("%s: %s", fd.Code, fd.Message))
		}
		add("no fleet finding is in force", false, "%s; a drill now would measure the finding, not the failover", strings.Join(fs, "; "))
	}
	var ends []string
	for _, c := range []string{active, target} {
		if c != "" {
			ends = append(ends, c)
		}
	}
	if len(ends) == 0 {
		return checks // no active cluster and no target: said by the checks before these
	}
	views := map[string]admin.FleetView{}
	for _, v := range f.Views {
		views[v.Member] = v
	}
	var wrong []string
	for _, m := range f.Members {
		v, ok := views[m.Name]
		if !ok {
			wrong = append(wrong, m.Name+" has published no view")
			continue
		}
		for _, c := range ends {
			if vd := v.Verdicts[c]; vd != health.VerdictUp {
				wrong = append(wrong, fmt.Sprintf("%s sees %s %s", m.Name, c, orUnknown(vd)))
			}
		}
	}
	who := strings.Join(ends, " and ")
	if len(wrong) > 0 {
		add("every member sees "+who+" up", false, "%s; each member's proxy carries traffic, so each must reach both ends of the move",
			strings.Join(wrong, "; "))
	} else {
		add("every member sees "+who+" up", true, "%d members: %s", len(f.Members), memberNames(f))
	}
	return checks
}

func memberNames(f *admin.FleetStatus) string {
	if len(f.Members) == 0 {
		return "none listed"
	}
	names := make([]string, len(f.Members))
	for i, m := range f.Members {
		names[i] = m.Name
	}
	return strings.Join(names, ", ")
}

// adminOf is a member's admin URL, or a hint where to find it.
func adminOf(f *admin.FleetStatus, member string) string {
	for _, m := range f.Members {
		if m.Name == member && m.Admin != "" {
			return m.Admin
		}
	}
	return "its admin URL (esdr status lists it)"
}

func orUnknown(v health.Verdict) string {
	if v == "" {
		return "unknown (no observation)"
	}
	return string(v)
}
