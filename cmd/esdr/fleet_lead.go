package main

import (
	"context"
	"fmt"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/control"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/fleet"
)

// term is what the member runs while it leads.
type term struct {
	loop   *control.Loop
	ex     *act.Executor
	quorum *fleet.QuorumObserver
}

// lead is one term of leadership: the control loop and the act step on the shared
// store, fed by the combined views of every member. It returns when ctx ends (the
// session is lost) or the store refuses a write because another member leads.
func (d *fleetDaemon) lead(ctx context.Context) error {
	f := d.cfg.Fleet
	log := d.log.With("term", d.member.LeaderRev())
	log.Warn("leading the fleet; acting once the predecessor's session has surely ended", "member", f.Name, "wait", f.SessionTTL)
	q := d.member.NewQuorumObserver(d.policy.Clusters, decide.Quorum{Size: f.Quorum, MaxAge: f.ViewMaxAge}, d.activeCluster)
	opts, err := executorOptions(d.cfg, d.targets, d.reg, log)
	if err != nil {
		return err
	}
	// Every change to a cluster waits until the predecessor's session has surely ended,
	// and is preceded by an intent written under this term's leader key.
	opts.Leader = d.member
	ex, err := act.New(d.store, opts)
	if err != nil {
		return err
	}
	if d.first != nil { // set before run; read only
		if err := d.first.store(ctx, d.store); err != nil {
			return err
		}
	}
	d.mu.Lock()
	policy := d.policy
	d.mu.Unlock()
	loop, err := control.New(d.store, q, d.m, ex, control.Options{Policy: policy, Nodes: d.nodes, Log: log})
	if err != nil {
		return err
	}
	d.setTerm(&term{loop: loop, ex: ex, quorum: q})
	defer d.setTerm(nil)
	defer log.Warn("no longer leading", "member", f.Name)
	parts := map[string]func(context.Context) error{
		"quorum":   q.Run,
		"control":  loop.Run,
		"findings": func(ctx context.Context) error { return recordFindings(ctx, q, d.store, log) },
		"act": func(ctx context.Context) error {
			if err := ex.Resume(ctx); err != nil {
				return fmt.Errorf("resume: %w", err)
			}
			return ex.Run(ctx)
		},
	}
	if d.pub != nil { // one publisher, with the fleet's verdicts, not one per member
		parts["publish"] = func(ctx context.Context) error {
			return publishHealth(ctx, d.pub, q, d.cfg.PublishHealth.Interval, log)
		}
	}
	return runAll(ctx, parts)
}

func (d *fleetDaemon) setTerm(t *term) {
	d.mu.Lock()
	d.term = t
	d.mu.Unlock()
}

func (d *fleetDaemon) current() *term {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.term
}
