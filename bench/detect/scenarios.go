package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/esdr/esdr/bench/report"
	"github.com/esdr/esdr/testbed"
	"github.com/esdr/esdr/testbed/esdrproc"
)

// A scenario is one fault on the primary, measured against a fresh esdr.
type scenario string

const (
	scenarioKill   scenario = "kill"   // kill -9 of every primary node
	scenarioMaster scenario = "master" // SIGSTOP of the elected master only, then SIGCONT
	scenarioQuorum scenario = "quorum" // SIGSTOP of 2 of the 3 nodes: the master and one more
	// scenarioFollowers: SIGSTOP of the 2 nodes that are not the master, which is left
	// alone without a quorum: it answers until its follower checks fail, then steps down.
	scenarioFollowers scenario = "followers"
)

var scenarios = []scenario{scenarioKill, scenarioMaster, scenarioQuorum, scenarioFollowers}

// sample is one run of one scenario.
type sample struct {
	engine   string
	decision time.Duration // fault → esdr's failover event; 0 when none (see void, none)
	void     string        // esdr moved before the fault: nothing of esdr's was measured
	none     string        // no failover after the fault: esdr's last decision
	hung     []string      // the nodes the fault hit (master, quorum)
	reelect  time.Duration // master: fault → every other node names a new master; 0: none
	held     time.Duration // master: how long the old master was hung
	events   []string      // esdr's events from the fault on
}

// begin starts a fresh esdr for one run. A void run (esdr moved before the fault) is
// restored, lifting the fence esdr put on the primary, and ends there: done is true, as
// it is on an error.
func (p *pair) begin(ctx context.Context, interval time.Duration) (e *esdrproc.Proc, s sample, done bool, err error) {
	s = sample{engine: p.engine}
	e, s.void, err = p.startEsdr(ctx, interval)
	switch {
	case err != nil:
		return e, s, true, err
	case s.void != "":
		return e, s, true, p.restore(ctx, e, nothing)
	}
	return e, s, false, nil
}

// kill: every primary node killed; esdr's failover decision timed from the kill.
func (p *pair) kill(ctx context.Context, interval time.Duration) (sample, error) {
	e, s, done, err := p.begin(ctx, interval)
	if done {
		return s, err
	}
	faultAt := time.Now()
	if err := p.primary.Kill(); err != nil {
		return s, err
	}
	if s.decision, s.void, s.none, err = decision(ctx, e, faultAt, decisionWait); err != nil {
		return s, err
	}
	s.events = eventsSince(ctx, e, faultAt, 6)
	return s, p.restore(ctx, e, p.primary.Start)
}

// master: the elected master hung (SIGSTOP), held until the other nodes have elected a
// new one and hold longer, then resumed. Whether esdr failed over is the figure: a
// cluster that re-elected serves, and moving traffic off it is a false failover.
func (p *pair) master(ctx context.Context, interval, hold time.Duration) (sample, error) {
	e, s, done, err := p.begin(ctx, interval)
	if done {
		return s, err
	}
	m, err := p.primary.Master(ctx)
	if err != nil {
		return s, stopIf(e, err)
	}
	s.hung = []string{m.Name + " (master)"}
	faultAt := time.Now()
	if err := m.Pause(); err != nil {
		return s, stopIf(e, err)
	}
	rctx, cancel := context.WithTimeout(ctx, decisionWait)
	_, err = p.primary.WaitNewMaster(rctx, m)
	cancel()
	if err == nil {
		s.reelect = time.Since(faultAt)
	} else if ctx.Err() != nil {
		return s, ctx.Err()
	} else {
		p.logf("!! %s: no new master within %s of hanging %s: %v", p.engine, decisionWait, m.Name, err)
	}
	if err := report.Sleep(ctx, hold); err != nil {
		return s, err
	}
	s.held = time.Since(faultAt)
	if s.decision, s.void, s.none, err = decision(ctx, e, faultAt, 0); err != nil {
		return s, err
	}
	s.events = eventsSince(ctx, e, faultAt, 8)
	return s, p.restore(ctx, e, m.Resume)
}

// quorum: 2 of the 3 nodes hung (SIGSTOP): the elected master and one other node, or
// with followers the two others, so that the master is left alone. Either way the
// survivor cannot serve writes or elect alone. esdr's failover decision timed from the fault.
func (p *pair) quorum(ctx context.Context, interval time.Duration, followers bool) (sample, error) {
	e, s, done, err := p.begin(ctx, interval)
	if done {
		return s, err
	}
	m, err := p.primary.Master(ctx)
	if err != nil {
		return s, stopIf(e, err)
	}
	hang := []*testbed.Node{m} // the master and the first other node, or the two others
	if followers {
		hang = nil
	}
	for _, n := range p.primary.Nodes {
		if n != m && len(hang) < 2 {
			hang = append(hang, n)
		}
	}
	faultAt := time.Now()
	for _, n := range hang {
		name := n.Name
		if n == m {
			name += " (master)"
		}
		s.hung = append(s.hung, name)
		if err := n.Pause(); err != nil {
			return s, stopIf(e, err)
		}
	}
	if s.decision, s.void, s.none, err = decision(ctx, e, faultAt, decisionWait); err != nil {
		return s, err
	}
	s.events = eventsSince(ctx, e, faultAt, 6)
	return s, p.restore(ctx, e, p.primary.Resume)
}

// stopIf stops e (when started) and returns err: a run that ends early leaves no esdr.
func stopIf(e *esdrproc.Proc, err error) error {
	if e != nil {
		e.Stop()
	}
	return err
}

func nothing() error { return nil }

// errScenario names a scenario the command does not know.
var errScenario = errors.New("detect: unknown scenario")

func parseScenario(s string) (scenario, error) {
	for _, k := range scenarios {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("%w %q: want kill, master, quorum or followers", errScenario, s)
}
