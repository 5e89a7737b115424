package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/esdr/esdr/internal/state"
)

// lagCheckEvery is how often mirror mode compares each cluster's lag with the bound.
const lagCheckEvery = time.Second

// eventAppender is the part of the state store mirror mode records events with.
type eventAppender interface {
	Append(ctx context.Context, events ...state.Event) ([]state.Event, error)
}

// mirrorEvents puts what an operator must know about replication on the event timeline
// (status page, esdr events), not only in status and metrics: a cluster lagging past
// mirror.max_lag_on_failover (a failover to it would be refused) and back within it, and
// a replication stop that needs a human.
type mirrorEvents struct {
	clusters []string
	pending  func(cluster string) uint64          // journaled writes it lacks
	stopped  func(cluster string) (uint64, error) // how many stops so far, and why the last one happened
	wake     <-chan struct{}                      // a stop: check now, before an operator restarts it
	store    eventAppender
	bound    uint64
	log      *slog.Logger
	over     map[string]bool
	logged   map[string]uint64 // the stop last recorded per cluster: a stop after a restart is recorded again
}

func newMirrorEvents(s *mirrorSetup, store eventAppender) *mirrorEvents {
	return &mirrorEvents{clusters: []string{s.pair.A, s.pair.B}, pending: s.m.Pending,
		stopped: func(c string) (uint64, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.stops[c], s.lastStop[c]
		},
		wake: s.stopWake, store: store, bound: uint64(s.cfg.MaxLagOnFailover), log: s.log, over: map[string]bool{}, logged: map[string]uint64{}}
}

// run checks the lag every lagCheckEvery, and at once when a replication stops, until
// ctx ends.
func (e *mirrorEvents) run(ctx context.Context) error {
	t := time.NewTicker(lagCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-t.C:
			e.record(ctx, now)
		case <-e.wake:
			e.record(ctx, time.Now())
		}
	}
}

// record appends the events of what changed since the last check.
func (e *mirrorEvents) record(ctx context.Context, now time.Time) {
	evs := e.check(now)
	if len(evs) == 0 {
		return
	}
	actx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := e.store.Append(actx, evs...); err != nil && ctx.Err() == nil {
		e.log.Warn("mirror: recording events failed", "err", err)
	}
}

// check returns the events for what changed since the last check.
func (e *mirrorEvents) check(now time.Time) []state.Event {
	var evs []state.Event
	for _, c := range e.clusters {
		lag := e.pending(c)
		switch over := lag > e.bound; {
		case over && !e.over[c]:
			evs = append(evs, state.Event{At: now, Kind: state.EventObserved, Cluster: c, Message: fmt.Sprintf(
				"mirror: %s lacks %d journaled writes, more than mirror.max_lag_on_failover (%d): a failover or switchover to it is refused until it catches up",
				c, lag, e.bound)})
			e.over[c] = true
		case !over && e.over[c]:
			evs = append(evs, state.Event{At: now, Kind: state.EventObserved, Cluster: c, Message: fmt.Sprintf(
				"mirror: %s caught up to %d journaled writes behind, within mirror.max_lag_on_failover (%d)", c, lag, e.bound)})
			e.over[c] = false
		}
		// Every stop is recorded, even one an operator restarted before this check.
		if n, err := e.stopped(c); err != nil && n != e.logged[c] {
			evs = append(evs, state.Event{At: now, Kind: state.EventObserved, Cluster: c, Message: fmt.Sprintf(
				"mirror: replication to %s STOPPED, a human must act (fix the cause, then esdr mirror restart): %v", c, err)})
			e.logged[c] = n
		}
	}
	return evs
}
