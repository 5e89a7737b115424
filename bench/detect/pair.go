package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/esdr/esdr/bench/report"
	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/internal/state"
	"github.com/esdr/esdr/testbed"
	"github.com/esdr/esdr/testbed/esdrproc"
)

const (
	// decisionWait bounds the wait for esdr's failover after a fault that should cause one.
	decisionWait = time.Minute
	// formTimeout bounds a cluster's start and every re-forming: minutes on a busy machine.
	formTimeout = 10 * time.Minute
)

// pair is one engine's clusters (primary 3 nodes, standby 1) and what every run shares.
type pair struct {
	engine, dir, esdrBin string
	threshold            int
	primary, standby     *testbed.Cluster
	esP                  *esclient.Client
	logf                 report.Logf
	runs                 int // esdr processes started, for their folders
}

// startPair starts engine's clusters under dir; destroy with stop.
func startPair(ctx context.Context, engine, dir, esdrBin string, threshold int, logf report.Logf) (*pair, error) {
	p := &pair{engine: engine, dir: filepath.Join(dir, engine), esdrBin: esdrBin, threshold: threshold, logf: logf}
	logf("starting %s clusters (primary 3 nodes, standby 1)...", engine)
	var err error
	if p.primary, err = testbed.Start(ctx, testbed.Spec{Engine: engine, Cluster: "bench-primary", Nodes: 3, Dir: p.dir, FormTimeout: formTimeout}); err != nil {
		return nil, err
	}
	if p.standby, err = testbed.Start(ctx, testbed.Spec{Engine: engine, Cluster: "bench-standby", Nodes: 1, Dir: p.dir, FormTimeout: formTimeout}); err != nil {
		p.primary.Destroy()
		return nil, err
	}
	if p.esP, err = esclient.New(p.primary.URLs(), esclient.Options{Timeout: 70 * time.Second}); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

func (p *pair) stop() {
	p.primary.Destroy()
	if p.standby != nil {
		p.standby.Destroy()
	}
}

// startEsdr starts a fresh esdr (no proxy) on the pair, on fresh state, and waits for the
// evidence a fault needs: both clusters up, the primary active at epoch 1. A false
// failover before the fault is not an error: void says when and why esdr moved, and
// the run is reported void instead of measured.
func (p *pair) startEsdr(ctx context.Context, interval time.Duration) (e *esdrproc.Proc, void string, err error) {
	addr, err := esdrproc.FreeAddr()
	if err != nil {
		return nil, "", err
	}
	p.runs++
	cfg := esdrproc.Pair{Primary: p.primary.URLs(), Standby: p.standby.URLs(), Interval: interval, Threshold: p.threshold, AdminAddr: addr}
	if e, err = esdrproc.Start(ctx, p.esdrBin, filepath.Join(p.dir, fmt.Sprintf("esdr-%d", p.runs)), addr, cfg.YAML()); err != nil {
		return nil, "", err
	}
	if err = e.WaitUp(ctx, time.Minute, "primary", "standby"); err == nil {
		err = e.WaitSettled(ctx, time.Minute, "primary")
	}
	if errors.Is(err, esdrproc.ErrMoved) {
		void = "esdr failed over before the fault was injected: " + err.Error()
		p.logf("!! %s: run VOID: %s", p.engine, void)
		return e, void, nil
	}
	if err != nil {
		e.Stop()
		return nil, "", err
	}
	return e, "", nil
}

// decision waits up to within for esdr's first transition and returns the time from
// faultAt to it. With none it returns why: a transition before faultAt voids the run;
// no transition is named by esdr's last decision.
func decision(ctx context.Context, e *esdrproc.Proc, faultAt time.Time, within time.Duration) (d time.Duration, void, none string, err error) {
	ev, err := e.WaitTransition(ctx, within, 2)
	if ctx.Err() != nil {
		return 0, "", "", ctx.Err()
	}
	if err != nil {
		st, serr := e.Client.Status(ctx)
		if serr != nil {
			return 0, "", fmt.Sprintf("no failover within %s (status: %v)", within, serr), nil
		}
		return 0, "", fmt.Sprintf("no failover within %s; last decision %s: %s", within, st.LastDecision.Code, st.LastDecision.Reason), nil
	}
	if ev.At.Before(faultAt) {
		return 0, fmt.Sprintf("esdr failed over %s before the fault: %s", faultAt.Sub(ev.At).Round(time.Millisecond), esdrproc.Describe(ev)), "", nil
	}
	return ev.At.Sub(faultAt), "", "", nil
}

// eventsSince summarises what esdr recorded from faultAt on, at most max entries, each
// as "+time what": verdict changes, every decision whose code changed and refusals.
func eventsSince(ctx context.Context, e *esdrproc.Proc, faultAt time.Time, max int) []string {
	evs, err := e.Events(ctx, 0)
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	for _, ev := range evs {
		if ev.At.Before(faultAt) || ev.Kind == state.EventActed {
			continue // a plan's steps are not what the scenario asks about
		}
		if len(out) == max {
			return append(out, "…")
		}
		what := string(ev.Code)
		switch {
		case ev.Kind == state.EventObserved:
			what, _, _ = strings.Cut(ev.Message, " (")
		case esdrproc.IsTransition(ev):
			what = fmt.Sprintf("%s %s → %s", ev.Code, ev.From, ev.To)
		case ev.Kind != state.EventDecided:
			what = string(ev.Kind) + " " + what
		}
		out = append(out, fmt.Sprintf("+%.1fs %s", ev.At.Sub(faultAt).Seconds(), what))
	}
	return out
}

// restore stops esdr, heals the primary with heal (resume or restart), waits until its
// three nodes have formed again and lifts the read-only fence esdr puts on a primary it
// failed over from, so that the next run starts from the same pair.
func (p *pair) restore(ctx context.Context, e *esdrproc.Proc, heal func() error) error {
	e.Stop()
	if err := heal(); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, formTimeout)
	defer cancel()
	if err := p.primary.WaitFormed(wctx, len(p.primary.Nodes)); err != nil {
		return err
	}
	// The block as the request's only setting: anything else is refused while it holds.
	if err := p.esP.PutClusterSettings(ctx, map[string]any{"cluster.blocks.read_only": nil}); err != nil {
		return fmt.Errorf("unfence primary: %w", err)
	}
	return nil
}
