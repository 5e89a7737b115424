package watch

import (
	"context"
	"sync"
	"time"

	"github.com/esdr/esdr/internal/esclient"
)

// How often a healthy cluster is asked again for what the check remembers about it, and
// how long that may take: upkeep has its own budget, not what is left of the probe's.
const (
	membersEvery  = 30 * time.Second
	settingsEvery = 5 * time.Minute
	canaryEvery   = 10 * time.Second
	upkeepTimeout = 2 * time.Second
)

// clusterState is what one cluster check remembers between probes: the most nodes seen,
// who answers at each URL, the master-eligible members, the election grace and when the
// canary was last created. Safe for concurrent use.
type clusterState struct {
	spec ClusterSpec
	size clusterSize
	ids  identities
	pin  pinned // the cluster the configured URLs reach, once seen

	mu                              sync.Mutex
	served                          map[string]bool // node URLs whose canary read has succeeded
	eligible                        members
	fd                              *esclient.FaultDetection
	membersAt, settingsAt, canaryAt time.Time
}

// vouch keeps a canary failure as evidence only from a node whose canary read has
// succeeded before: a canary just created (its shards not yet started) or a node that
// just got its copy fails its reads without saying anything about the users' indices.
func (s *clusterState) vouch(views []nodeView) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.served == nil {
		s.served = map[string]bool{}
	}
	for i := range views {
		switch {
		case views[i].Canary == canaryOK:
			s.served[views[i].URL] = true
		case views[i].Canary == canaryFailed && !s.served[views[i].URL]:
			views[i].Canary = canaryMissing
		}
	}
}

func (s *clusterState) members() members {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.eligible
}

// grace is the election grace: configured, or derived from the cluster's settings (its
// defaults until they were read), capped by the configured maximum.
func (s *clusterState) grace() time.Duration {
	if s.spec.ElectionGrace > 0 {
		return s.spec.ElectionGrace
	}
	s.mu.Lock()
	fd := esclient.DefaultFaultDetection
	if s.fd != nil {
		fd = *s.fd
	}
	s.mu.Unlock()
	g := fd.ElectionTime()
	if s.spec.MaxElectionGrace > 0 {
		g = min(g, s.spec.MaxElectionGrace)
	}
	return g
}

// upkeep runs after a probe the cluster answered: it refreshes the master-eligible
// members and the fault-detection settings when due, and creates the canary index where
// a node said it is missing. Each is bounded by the probe's context; a failure is tried
// again at the next due time, never fatal.
func (s *clusterState) upkeep(ctx context.Context, c healthClient, views []nodeView, now time.Time) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), upkeepTimeout)
	defer cancel()
	s.mu.Lock()
	dueMembers := now.Sub(s.membersAt) >= membersEvery
	dueSettings := now.Sub(s.settingsAt) >= settingsEvery
	dueCanary := now.Sub(s.canaryAt) >= canaryEvery
	if dueMembers {
		s.membersAt = now
	}
	if dueSettings {
		s.settingsAt = now
	}
	s.mu.Unlock()
	if dueMembers {
		if nodes, err := c.NodesInfo(ctx); err == nil {
			m := members{}
			for _, n := range nodes {
				if n.MasterEligible {
					m[n.ID] = n.HTTPAddress
				}
			}
			s.mu.Lock()
			s.eligible = m
			s.mu.Unlock()
		}
	}
	if dueSettings {
		if fd, err := c.FaultDetectionSettings(ctx); err == nil {
			s.mu.Lock()
			s.fd = &fd
			s.mu.Unlock()
		}
	}
	if s.spec.Canary == "" || !dueCanary {
		return
	}
	for _, v := range views {
		if v.Canary == canaryMissing && v.Err == nil && !s.canaryExists(ctx, c) {
			s.creating(now)
			_ = c.EnsureCanary(ctx, s.spec.Canary) // a fenced cluster refuses: no canary, nothing learned
			return
		}
	}
}

// creating notes that esdr (re)creates the canary at now. A new index has been served
// by no node yet: a node that served the old one (deleted by an operator, or with the
// cluster's data) fails its reads until the new copies start, which says nothing about
// the users' indices.
func (s *clusterState) creating(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.canaryAt = now
	s.served = nil
}

// canaryExists tells a missing index from a node without a copy of it (a new node, or
// replicas still allocating), which needs nothing created.
func (s *clusterState) canaryExists(ctx context.Context, c healthClient) bool {
	return c.IndexExists(ctx, s.spec.Canary)
}
