package act

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/esdr/esdr/internal/decide"
)

// settings is the part of a cluster client fencing needs (*esclient.Client has it).
type settings interface {
	PutClusterSettings(ctx context.Context, persistent map[string]any) error
}

// Cluster is what the executor knows of one configured cluster.
type Cluster struct {
	// Nodes are the node URLs passed to targets in Switch.FromNodes/ToNodes.
	Nodes []string
	// Settings writes the cluster's persistent settings; required unless NoFence.
	Settings settings
	// NoFence opts the cluster out of fencing: esdr never sets nor lifts
	// cluster.blocks.read_only on it (config `fence: false`). See docs/operations.md.
	NoFence bool
}

// Options configures an Executor.
type Options struct {
	// Clusters by name; a transition's From and To are looked up here.
	Clusters map[string]Cluster
	// Targets are switched in this order by every plan.
	Targets []Target
	// PreHook, when set, may veto a transition (see Veto); Webhook, when set, is told of
	// every transition once.
	PreHook *Hook
	Webhook *Webhook
	Retry   Retry
	// FenceTimeout bounds one attempt to fence the cluster traffic leaves. A hung
	// cluster times out rather than refusing, and the fence is then deferred; keeping
	// this short keeps a hung old primary from holding up the rest of the plan.
	// Default 2s (never more than Retry.AttemptTimeout).
	FenceTimeout time.Duration
	// RetryInterval is how often Run retries deferred fences and a failed plan; use the
	// probe interval, so a fenced-late cluster is fenced within one interval of coming
	// back. Default 10s.
	RetryInterval time.Duration
	// VetoHold is how long an automatic transition the pre hook vetoed is refused without
	// asking the hook again (the loop re-decides every tick). Operator commands always
	// ask. Default 1m.
	VetoHold time.Duration
	// Leader says whether this process may change clusters now; it is asked (and waited
	// for) before every change, whose intent is then journaled by a write the store
	// fences by leadership. In a fleet it is the fleet.Member; nil means the embedded
	// mode, where the one process always may.
	Leader leadership
	// Registerer receives the executor's metrics; nil registers nothing.
	Registerer prometheus.Registerer
	// Log reports what Run does in the background, where no caller gets the error.
	Log *slog.Logger
	Now func() time.Time
}

// Executor turns transitions into journaled plans and carries them out. Create it with
// New, call Resume once before the control loop starts, and run Run in the background.
type Executor struct {
	st      store
	opts    Options
	targets map[string]Target
	m       *metrics

	// run serializes plan execution and background fencing, so that a deferred fence can
	// never land on a cluster a newer plan has just promoted.
	run sync.Mutex
	// mu guards the in-memory views below, readable while a plan runs.
	mu      sync.Mutex
	current *Plan
	fences  map[string]deferredFence
	vetoes  vetoCache
	kick    chan struct{}
	// faults are store failures whose event is not written yet (see storefault.go).
	faults []*storeFault
	// preempt, while Run retries a failed plan, interrupts that retry (run.go): a newer
	// plan, or a cluster to fence, must not wait behind a target that hangs.
	preempt context.CancelFunc
	// queued counts the Act calls waiting for run: a retry does not start meanwhile.
	queued atomic.Int32
	// preemptedFor is, per cluster, the epoch of the owed fence for which Seen last cut a
	// retry (run.go).
	preemptedFor map[string]uint64

	// afterStep, when set by a test, is called after step i's outcome is journaled.
	afterStep func(p *Plan, i int)
}

// New validates opts and returns an executor. It fails fast on what would otherwise
// surface in the middle of a failover: a target without a name, a fenced cluster without
// a client, a hook that cannot be found.
func New(st store, opts Options) (*Executor, error) {
	if st == nil {
		return nil, errors.New("act: a store is required")
	}
	opts.Retry = opts.Retry.withDefaults()
	if opts.FenceTimeout <= 0 {
		opts.FenceTimeout = DefaultFenceTimeout
	}
	if opts.RetryInterval <= 0 {
		opts.RetryInterval = 10 * time.Second
	}
	if opts.VetoHold <= 0 {
		opts.VetoHold = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Leader == nil {
		opts.Leader = always{}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	for name, c := range opts.Clusters {
		if !c.NoFence && c.Settings == nil {
			return nil, fmt.Errorf("act: cluster %q: a settings client is required unless fencing is off", name)
		}
	}
	e := &Executor{st: st, opts: opts, targets: map[string]Target{}, fences: map[string]deferredFence{},
		kick: make(chan struct{}, 1), preemptedFor: map[string]uint64{}}
	for i, t := range opts.Targets {
		if t == nil || t.Name() == "" {
			return nil, fmt.Errorf("act: target %d has no name", i)
		}
		if _, dup := e.targets[t.Name()]; dup {
			return nil, fmt.Errorf("act: target %q is configured twice", t.Name())
		}
		e.targets[t.Name()] = t
	}
	if err := opts.PreHook.validate(); err != nil {
		return nil, err
	}
	if err := opts.Webhook.validate(); err != nil {
		return nil, err
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	e.m = m
	return e, nil
}

// Act carries out a transition the loop has stored: it journals the plan and runs it to
// the end, step by step. It returns when the plan is done, failed (Run attempts it
// again), vetoed or superseded, or when ctx ends (the plan is resumed on restart).
// Decisions that do not change the active cluster are ignored.
//
// When the state store fails — the plan cannot be journaled, or a step's outcome or
// the plan's cannot — Act returns the error and Current shows the plan failed with
// its StoreError; Run retries it from the journal (see retryFromJournal).
func (e *Executor) Act(ctx context.Context, s decide.State, d decide.Decision) error {
	if !d.Transitions() {
		return nil
	}
	e.lockAhead()
	defer e.run.Unlock()
	t := transitionOf(s, d, e.opts.Now())
	p, err := loadPlan(ctx, e.st, t.Epoch)
	if err != nil {
		return e.interrupted(ctx, newPlan(t, &e.opts, nil, e.opts.Now()), &storeError{err})
	}
	if p == nil || !p.matches(t) {
		if p, err = e.startPlan(ctx, t); err != nil {
			return err
		}
	}
	return e.finish(ctx, p)
}

// Resume loads the deferred fences and finishes the plan of the stored epoch if a crash
// interrupted it. When the state records a transition for which no plan was journaled
// (esdr died between storing the decision and journaling its plan), the plan is built
// from the state and run: the stored state is the truth.
//
// It returns an error when it cannot read the fences, the state or the plan (esdr
// stops at once, as the control loop does when it cannot read the state at start) or
// when ctx ends. A resumed plan that fails — a step, or the store under it — is logged
// and left to Run, which retries it: it does not stop esdr.
func (e *Executor) Resume(ctx context.Context) error {
	if err := e.loadFences(ctx); err != nil {
		return err
	}
	rec, err := e.st.Load(ctx)
	if err != nil {
		return fmt.Errorf("act: resume: %w", err)
	}
	s := rec.State
	if !s.Initialized() {
		return nil
	}
	e.run.Lock()
	defer e.run.Unlock()
	p, err := loadPlan(ctx, e.st, s.Epoch)
	if err != nil {
		return fmt.Errorf("act: resume: %w", err)
	}
	if p == nil {
		lt := s.LastTransition
		if lt == nil || lt.Epoch != s.Epoch {
			return nil
		}
		p, err = e.startPlan(ctx, transitionFromState(lt))
	}
	if err == nil {
		err = e.finish(ctx, p)
	}
	if err != nil && ctx.Err() == nil {
		e.opts.Log.Warn("resumed plan did not end done; Run takes it from here", "epoch", s.Epoch, "err", err)
		return nil
	}
	return err
}

// finish makes p the current plan and runs it if it has work left, once this process
// may act: a new leader of a fleet runs nothing before its predecessor has stopped.
func (e *Executor) finish(ctx context.Context, p *Plan) error {
	if p.Open() {
		if err := e.acting(ctx, fmt.Sprintf("plan for epoch %d", p.Epoch)); err != nil {
			return err
		}
	}
	e.setCurrent(p)
	if !p.Open() {
		return nil
	}
	return e.interrupted(ctx, p, e.execute(ctx, p))
}

// startPlan builds and journals the plan for t, and marks an unfinished plan of the
// previous epoch superseded so the journal never shows two running plans.
func (e *Executor) startPlan(ctx context.Context, t transition) (*Plan, error) {
	ok, err := loadApproval(ctx, e.st, t.Epoch)
	if err != nil {
		return nil, e.interrupted(ctx, newPlan(t, &e.opts, nil, e.opts.Now()), &storeError{err})
	}
	p := newPlan(t, &e.opts, ok, e.opts.Now())
	if err := savePlan(ctx, e.st, p); err != nil {
		return nil, e.interrupted(ctx, p, storeErr("act: plan for epoch %d: not journaled: %w", p.Epoch, err))
	}
	if t.Epoch > 1 {
		e.supersedePrevious(ctx, t.Epoch)
	}
	e.event(ctx, p, "", fmt.Sprintf("plan for epoch %d (%s %s → %s): %d steps", p.Epoch, p.Action, p.From, p.To, len(p.Steps)))
	return p, nil
}
