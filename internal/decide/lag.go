package decide

import "fmt"

// lagging says why target is too far behind to become active, or may be, or "" when it
// is not (or mirror mode sets no bound).
func lagging(obs Observations, target string, p Policy) string {
	ob := obs.of(target)
	if p.MaxLagOnFailover == 0 {
		return ""
	}
	if ob.MirrorLagUnknown != "" {
		return fmt.Sprintf("what %s lacks of the journaled writes is not known (%s), so mirror.max_lag_on_failover cannot be checked",
			target, ob.MirrorLagUnknown)
	}
	if ob.MirrorLag <= p.MaxLagOnFailover {
		return ""
	}
	why := fmt.Sprintf("%s lacks %d journaled writes, more than the %d mirror.max_lag_on_failover allows", target, ob.MirrorLag, p.MaxLagOnFailover)
	if ob.MirrorOwedBy != "" {
		why += ": " + ob.MirrorOwedBy
	}
	return why
}
