package watch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/esdr/esdr/internal/health"
)

// Defaults for Target fields left zero. The thresholds are Route 53's default.
const (
	DefaultInterval  = 10 * time.Second
	DefaultTimeout   = 5 * time.Second
	DefaultThreshold = 3
)

// Target is one cluster to watch and how.
type Target struct {
	Cluster string
	// Checks all run in every probe, under one deadline; the worst result wins.
	Checks []Check
	// Interval between probes and Timeout for one probe (all its checks).
	Interval, Timeout time.Duration
	// FailureThreshold and SuccessThreshold: consecutive results to turn the verdict
	// down or up (see Tracker).
	FailureThreshold, SuccessThreshold int
}

// Options are the Watcher's hooks.
type Options struct {
	// Now is the clock for result times; default time.Now.
	Now func() time.Time
	// OnResult, if set, is called after every probe (for metrics and events). Calls for
	// one cluster are serialised; calls for different clusters may be concurrent. It
	// must not block for long: it delays that cluster's next probe.
	OnResult func(cluster string, r Result, obs health.Observation, changed bool)
}

// Watcher probes every target at its interval and keeps one Observation per cluster.
type Watcher struct {
	targets []Target
	opts    Options
	changes chan struct{}
	now     map[string]chan struct{} // ProbeNow requests, capacity 1 each

	mu       sync.Mutex
	trackers map[string]*Tracker
	running  bool
}

// New validates the targets (unique non-empty names, at least one check, non-negative
// durations and thresholds), fills in defaults and returns a Watcher that is not yet
// probing.
func New(targets []Target, opts Options) (*Watcher, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	w := &Watcher{opts: opts, changes: make(chan struct{}, 1),
		now: map[string]chan struct{}{}, trackers: map[string]*Tracker{}}
	for _, t := range targets {
		switch {
		case t.Cluster == "":
			return nil, errors.New("watch: target with no cluster name")
		case w.trackers[t.Cluster] != nil:
			return nil, fmt.Errorf("watch: cluster %q listed twice", t.Cluster)
		case len(t.Checks) == 0:
			return nil, fmt.Errorf("watch: cluster %q has no checks", t.Cluster)
		case t.Interval < 0 || t.Timeout < 0 || t.FailureThreshold < 0 || t.SuccessThreshold < 0:
			return nil, fmt.Errorf("watch: cluster %q: interval, timeout and thresholds must not be negative", t.Cluster)
		}
		t.Interval = or(t.Interval, DefaultInterval)
		t.Timeout = or(t.Timeout, DefaultTimeout)
		t.FailureThreshold = or(t.FailureThreshold, DefaultThreshold)
		t.SuccessThreshold = or(t.SuccessThreshold, DefaultThreshold)
		w.targets = append(w.targets, t)
		w.trackers[t.Cluster] = NewTracker(t.Cluster, t.FailureThreshold, t.SuccessThreshold)
		w.now[t.Cluster] = make(chan struct{}, 1)
	}
	if len(w.targets) == 0 {
		return nil, errors.New("watch: no targets")
	}
	return w, nil
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Run probes every cluster once, concurrently, and returns only after that first round
// has been recorded (so that the control loop starts with data, as CoreDNS plugins do
// their first sync), then probes each cluster on its own interval until ctx is cancelled.
// It returns nil once every goroutine it started has exited, or an error if the Watcher
// is already running.
func (w *Watcher) Run(ctx context.Context) error {
	w.mu.Lock()
	if w.running {
		w.mu.Unlock()
		return errors.New("watch: already running")
	}
	w.running = true
	w.mu.Unlock()
	defer func() { w.mu.Lock(); w.running = false; w.mu.Unlock() }()

	var first sync.WaitGroup
	for _, t := range w.targets {
		first.Go(func() { w.probe(ctx, t) })
	}
	first.Wait()

	var loops sync.WaitGroup
	for _, t := range w.targets {
		loops.Go(func() { w.loop(ctx, t) })
	}
	loops.Wait()
	return nil
}

// loop probes one cluster at its interval, or at once when ProbeNow asks.
func (w *Watcher) loop(ctx context.Context, t Target) {
	tick := time.NewTicker(t.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-w.now[t.Cluster]:
			tick.Reset(t.Interval)
		}
		w.probe(ctx, t)
	}
}

// probe runs all checks of a target concurrently under one deadline, records the
// combined result and notifies Changes.
func (w *Watcher) probe(ctx context.Context, t Target) {
	if ctx.Err() != nil {
		return
	}
	pctx, cancel := context.WithTimeout(ctx, t.Timeout)
	defer cancel()
	start := w.opts.Now()
	results := make([]Result, len(t.Checks))
	var wg sync.WaitGroup
	for i, c := range t.Checks {
		wg.Go(func() { results[i] = c(pctx) })
	}
	wg.Wait()
	if ctx.Err() != nil {
		return // shutting down: a cancelled probe says nothing about the cluster
	}
	r := combine(results)
	at := w.opts.Now()
	r.Latency = max(r.Latency, at.Sub(start))

	w.mu.Lock()
	obs, changed := w.trackers[t.Cluster].Record(r, at)
	w.mu.Unlock()
	if w.opts.OnResult != nil {
		w.opts.OnResult(t.Cluster, r, obs, changed)
	}
	w.notify()
}

// notify wakes the Changes reader without ever blocking; wake-ups coalesce.
func (w *Watcher) notify() {
	select {
	case w.changes <- struct{}{}:
	default:
	}
}

// Snapshot returns the current observation of every cluster (verdict unknown before the
// first result). The map is the caller's.
func (w *Watcher) Snapshot() map[string]health.Observation {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[string]health.Observation, len(w.trackers))
	for name, t := range w.trackers {
		out[name] = t.Observation()
	}
	return out
}

// Changes delivers a coalesced wake-up (capacity 1) whenever a probe round of any
// cluster completes, which includes every verdict change. The control loop waits on it
// and then reads Snapshot.
func (w *Watcher) Changes() <-chan struct{} { return w.changes }

// ProbeNow asks for an immediate probe of a cluster, for fast confirmation when the data
// path sees errors. It never blocks; requests made while one is pending coalesce, and an
// unknown cluster is ignored.
func (w *Watcher) ProbeNow(cluster string) {
	ch, ok := w.now[cluster]
	if !ok {
		return
	}
	select {
	case ch <- struct{}{}:
	default:
	}
}
