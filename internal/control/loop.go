// Package control runs esdr's loop: read the state, take the watch step's observations and
// any operator command, decide, compare-and-swap the new state, record events, and hand
// transitions to the act step. It is the only place where those pieces meet.
package control

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/health"
	"github.com/esdr/esdr/internal/state"
)

// store is the part of the state store the loop needs.
type store interface {
	Load(ctx context.Context) (state.Record, error)
	CommitDecision(ctx context.Context, expectRev uint64, s decide.State, events ...state.Event) (state.Record, []state.Event, error)
	Append(ctx context.Context, events ...state.Event) ([]state.Event, error)
	Events(ctx context.Context, afterSeq uint64, limit int) ([]state.Event, error)
}

// observer is the part of the watch step the loop needs.
type observer interface {
	Snapshot() map[string]health.Observation
	Changes() <-chan struct{}
}

// recorder receives what the loop decided, for metrics.
type recorder interface {
	SetState(s decide.State, clusters []string, now time.Time)
	RecordDecision(d decide.Decision)
	RecordRound()
	// RecordFailedRound counts a round that could not store its decision: while rounds
	// fail, esdr observes but can neither commit nor act on a failover.
	RecordFailedRound()
}

// Actor carries out transitions: fencing, promotion, traffic switches. The loop calls it
// after the new state is stored, so a crash between the two is resumed from the state.
type Actor interface {
	Act(ctx context.Context, s decide.State, d decide.Decision) error
}

// vetoer is implemented by an Actor that can refuse a transition before it is stored
// (the operator's pre hook). Asking before storing means a veto leaves nothing to undo.
type vetoer interface {
	Veto(ctx context.Context, d decide.Decision) error
}

// planReporter is implemented by an Actor that can say what it is doing, for status.
type planReporter interface {
	Current() *act.Plan
	PendingFences() []string
}

// Options configures a Loop.
type Options struct {
	Policy decide.Policy
	// Nodes lists each cluster's node URLs, for status and the endpoint.
	Nodes map[string][]string
	// Tick bounds how long the loop sleeps without observations: time alone can change
	// a decision (a hold-down expiring, a failback window elapsing).
	Tick time.Duration
	Now  func() time.Time
	Log  *slog.Logger
}

// Loop is the control loop. Create it with New and start it with Run.
type Loop struct {
	store    store
	observer observer
	rec      recorder
	actor    Actor
	opts     Options
	cmds     chan commandReq
	// rounds counts finished rounds, whatever they decided: the evidence that the loop
	// looked at the world again since a moment a caller remembers.
	rounds atomic.Uint64

	mu       sync.RWMutex
	record   state.Record
	last     decide.Decision
	lastObs  map[string]health.Observation
	policy   decide.Policy
	ready    chan struct{}
	readyErr error
}

type commandReq struct {
	cmd   decide.Command
	reply chan commandResp
}

type commandResp struct {
	d   decide.Decision
	err error
}

// New validates its arguments and returns a loop ready to Run.
func New(st store, obs observer, rec recorder, actor Actor, opts Options) (*Loop, error) {
	if st == nil || obs == nil {
		return nil, errors.New("control: a store and an observer are required")
	}
	if len(opts.Policy.Clusters) < 2 {
		return nil, fmt.Errorf("control: %d clusters in the policy, want at least 2", len(opts.Policy.Clusters))
	}
	if opts.Tick <= 0 {
		opts.Tick = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Loop{store: st, observer: obs, rec: rec, actor: actor, opts: opts, policy: opts.Policy,
		cmds: make(chan commandReq), ready: make(chan struct{})}, nil
}

// SetPolicy replaces the failover policy (a SIGHUP reload). The cluster list must not
// change: that needs a restart, because the watch step was built for it.
func (l *Loop) SetPolicy(p decide.Policy) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.policy = p
}

func (l *Loop) currentPolicy() decide.Policy {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.policy
}

// Run loads the stored state, takes the first decision synchronously and then decides
// again on every change of observations, every tick and every operator command, until
// ctx ends. It returns an error when the first round fails (the state cannot be read or
// written at start), so that a misconfigured esdr stops at once, and when the store
// refuses a write with state.ErrNotLeader: a fleet member that lost its term stops.
func (l *Loop) Run(ctx context.Context) error {
	rec, err := l.store.Load(ctx)
	if err != nil {
		l.readyErr = fmt.Errorf("control: load state: %w", err)
		close(l.ready)
		return l.readyErr
	}
	l.mu.Lock()
	l.record = rec
	l.mu.Unlock()
	if _, err := l.round(ctx, nil); err != nil {
		l.readyErr = err
		close(l.ready)
		return err
	}
	close(l.ready)
	tick := time.NewTicker(l.opts.Tick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-l.observer.Changes():
		case <-tick.C:
		case req := <-l.cmds:
			d, err := l.round(ctx, &req.cmd)
			req.reply <- commandResp{d, err}
			if errors.Is(err, state.ErrNotLeader) {
				return err
			}
			continue
		}
		// A failed round changed nothing (nothing is acted on unless stored first), so
		// the next round simply tries again; the error is reported, not fatal — unless
		// the store says this process no longer leads the fleet: then it must stop.
		if _, err := l.round(ctx, nil); errors.Is(err, state.ErrNotLeader) {
			return err
		} else if err != nil {
			l.opts.Log.Error("round failed; retrying on the next tick", "err", err)
		}
	}
}

// Rounds returns how many rounds the loop has finished since it started, failed ones
// included. A caller that waits until it grew by n knows the loop decided n more times.
func (l *Loop) Rounds() uint64 { return l.rounds.Load() }

// Policy returns the policy in force.
func (l *Loop) Policy() decide.Policy { return l.currentPolicy() }
