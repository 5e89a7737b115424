package act

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
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
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	for name, c := range opts.Clusters {
		if !c.NoFence && c.Settings == nil {
			return nil, fmt.Errorf("act: cluster %q: a settings client is required unless fencing is off", name)
		}
	}
	e := &Executor{st: st, opts: opts, targets: map[string]Target{}, fences: map[string]deferredFence{},
		kick: make(chan struct{}, 1)}
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

// Current returns a copy of the plan of the latest transition (running or finished), or
// nil when there has been none since start. For `esdr status`.
func (e *Executor) Current() *Plan {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.current.Clone()
}

func (e *Executor) setCurrent(p *Plan) {
	e.mu.Lock()
	e.current = p.Clone()
	e.mu.Unlock()
}

// PendingFences names the clusters whose fence is deferred and still being retried.
func (e *Executor) PendingFences() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]string, 0, len(e.fences))
	for c := range e.fences {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}
