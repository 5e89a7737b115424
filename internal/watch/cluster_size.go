package watch

import (
	"sync"
	"time"
)

// ShrinkAcceptedAfter is how long a cluster must stay green with fewer nodes than the
// most seen before that smaller size is taken as its size. A node lost is degraded (the
// cluster serves, with less headroom); a cluster shrunk on purpose, whose shards were all
// reallocated (green), is healthy again after this, without restarting esdr.
const ShrinkAcceptedAfter = 10 * time.Minute

// clusterSize remembers the most nodes a cluster check has seen, and since when the
// cluster has been green with fewer. Safe for concurrent use.
type clusterSize struct {
	mu       sync.Mutex
	most     int
	lowSince time.Time // zero while at the most, or while not green
}

// observe records one answer (n nodes, green or not, at now) and returns the size the
// answer is judged against: the most seen, or n once the cluster has been green with n
// nodes (or fewer) for ShrinkAcceptedAfter.
func (s *clusterSize) observe(n int, green bool, now time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case n >= s.most:
		s.most, s.lowSince = n, time.Time{}
	case !green:
		s.lowSince = time.Time{} // still recovering: not a settled size
	case s.lowSince.IsZero():
		s.lowSince = now
	case now.Sub(s.lowSince) >= ShrinkAcceptedAfter:
		s.most, s.lowSince = n, time.Time{}
	}
	return s.most
}
