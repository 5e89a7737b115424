package decide

import "fmt"

// lagging says why target is too far behind to become active, or "" when it is not (or
// mirror mode sets no bound).
func lagging(obs Observations, target string, p Policy) string {
	lag := obs.of(target).MirrorLag
	if p.MaxLagOnFailover == 0 || lag <= p.MaxLagOnFailover {
		return ""
	}
	return fmt.Sprintf("%s lacks %d journaled writes, more than the %d mirror.max_lag_on_failover allows", target, lag, p.MaxLagOnFailover)
}
