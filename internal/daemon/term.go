package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/control"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/fleet"
	"github.com/esdr/esdr/internal/health"
	"github.com/esdr/esdr/internal/watch"
)

// views are what a term decides on: this process's own probes (with mirror mode's lag)
// in a fleet of one, the members' combined views in a fleet.
type views interface {
	Snapshot() map[string]health.Observation
	Changes() <-chan struct{}
	Findings() []decide.Finding
	Run(ctx context.Context) error
}

// term is what esdr runs while it leads.
type term struct {
	loop   *control.Loop
	ex     *act.Executor
	views  views
	quorum *fleet.QuorumObserver // the views when in a fleet, for the status's fleet section
}

// lead is one term of leadership: the control loop and the act step on the store, fed
// by the term's views. It returns when ctx ends (the session is lost, or esdr stops) or
// the store refuses a write because another member leads.
func (d *Daemon) lead(ctx context.Context) error {
	log := d.log
	t := &term{}
	if d.member != nil {
		log = log.With("term", d.member.LeaderRev())
		log.Warn("leading the fleet; acting once the predecessor's session has surely ended",
			"member", d.cfg.Fleet.Name, "wait", d.cfg.Fleet.SessionTTL)
		defer log.Warn("no longer leading", "member", d.cfg.Fleet.Name)
		f := d.cfg.Fleet
		t.quorum = d.member.NewQuorumObserver(d.Clusters(), decide.Quorum{Size: f.Quorum, MaxAge: f.ViewMaxAge}, d.activeCluster)
		t.views = t.quorum
		if d.mirror != nil {
			t.views = owedViews{views: t.quorum, peers: d.mirror.peers, pair: d.mirror.pair}
		}
	} else {
		t.views = &localViews{Watcher: d.watcher, s: d.mirror}
	}
	opts := d.actOpts
	opts.Log = log.With("component", "act")
	if d.member != nil {
		// Every change to a cluster waits until the predecessor's session has surely
		// ended, and is preceded by an intent written under this term's leader key.
		opts.Leader = d.member
	}
	var err error
	if t.ex, err = act.New(d.store, opts); err != nil {
		return err
	}
	if d.first != nil { // set before Run; read only
		if err := d.first.store(ctx, d.store); err != nil {
			return err
		}
	}
	d.mu.Lock()
	policy := d.policy
	d.mu.Unlock()
	if t.loop, err = control.New(d.store, t.views, d.m, t.ex, control.Options{Policy: policy, Nodes: nodesOf(d.cfg), Log: log}); err != nil {
		return err
	}
	d.setTerm(t)
	defer d.setTerm(nil)
	parts := map[string]func(context.Context) error{
		"views":    t.views.Run,
		"control":  t.loop.Run,
		"findings": func(ctx context.Context) error { return recordFindings(ctx, t.views, d.store, log) },
		// An interrupted plan is finished first, in the act step's own goroutine: the
		// proxy and the admin API serve meanwhile (from the stored epoch), and a new
		// transition waits for the executor, which runs one plan at a time.
		"act": func(ctx context.Context) error {
			if err := t.ex.Resume(ctx); err != nil {
				return fmt.Errorf("resume: %w", err)
			}
			return t.ex.Run(ctx)
		},
	}
	if d.snap != nil { // one sync, the leader's: two would restore over each other
		var member acting // none in a fleet of one
		if d.member != nil {
			member = d.member
		}
		parts["snapshot"] = func(ctx context.Context) error { return d.snap.lead(ctx, d.epochs, member, d.store) }
	}
	if d.pub != nil { // one publisher, the leader's, with the verdicts it decides on
		parts["publish"] = func(ctx context.Context) error {
			return publishHealth(ctx, d.pub, t.views, d.cfg.PublishHealth.Interval, log)
		}
	}
	return runAll(ctx, parts)
}

// activeCluster is the active cluster of the epoch this process follows.
func (d *Daemon) activeCluster() string {
	rec, _ := d.epochs.Record()
	return rec.State.Active
}

func (d *Daemon) setTerm(t *term) {
	d.mu.Lock()
	d.term = t
	d.mu.Unlock()
	d.termMove.Fire()
}

func (d *Daemon) current() *term {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.term
}

// termWait bounds how long a call waits for the term of a process that leads but has
// not built it yet (esdr starting, or a fleet member just elected).
const termWait = 5 * time.Second

// leading is the current term; when this process leads but its term is still being
// built, it waits for it (up to termWait). nil: not leading.
func (d *Daemon) leading(ctx context.Context) *term {
	ctx, cancel := context.WithTimeout(ctx, termWait)
	defer cancel()
	for {
		moved := d.termMove.Wait()
		if t := d.current(); t != nil || !d.leadership.IsLeader() {
			return t
		}
		select {
		case <-ctx.Done():
			return nil
		case <-moved:
		}
	}
}

// localViews are this process's own probes, with, for each cluster, the journaled writes
// it still lacks in mirror mode: decide refuses to make a cluster active that lacks more
// than mirror.max_lag_on_failover.
type localViews struct {
	*watch.Watcher
	s *mirrorSetup // nil unless mirror mode is on
}

// Findings: one vantage point has nothing to weigh against another.
func (v *localViews) Findings() []decide.Finding { return nil }

// Run: the watcher runs on its own, whoever leads.
func (v *localViews) Run(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

func (v *localViews) Snapshot() map[string]health.Observation {
	obs := v.Watcher.Snapshot()
	if v.s == nil {
		return obs
	}
	for _, c := range []string{v.s.pair.A, v.s.pair.B} {
		if ob, ok := obs[c]; ok {
			ob.MirrorLag = v.s.m.Pending(c)
			obs[c] = ob
		}
	}
	return obs
}
