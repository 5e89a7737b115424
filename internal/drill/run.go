package drill

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"time"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/audit"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/internal/state"
)

// ErrPreconditions is returned by Drill.Run when a precondition failed; nothing was
// touched. The report's Checks say which.
var ErrPreconditions = errors.New("drill: preconditions failed")

// esdrAPI is what a drill needs from esdr's admin API (admin.Client).
type esdrAPI interface {
	Status(ctx context.Context) (admin.Status, error)
	Events(ctx context.Context, after uint64, limit int) ([]state.Event, error)
	Switchover(ctx context.Context, to string, force bool) (decide.Decision, error)
}

// Drill is one guided drill against a running esdr. Fill it in and call Run.
type Drill struct {
	Scenario Scenario
	API      esdrAPI
	// Endpoint is where applications send requests (esdr's proxy); the load goes there.
	Endpoint string
	// MetricsURL is esdr's /metrics, read for the proxy's retries ("" skips them).
	MetricsURL string
	// TLS verifies esdr's https listeners (Endpoint and MetricsURL): the CA and client
	// certificate given to the CLI. nil: the system roots.
	TLS *tls.Config
	// Target is the standby to move to ("" picks a healthy one).
	Target string
	// FaultCmd and RecoverCmd are shell commands for ScenarioFault; RecoverCmd runs after
	// the load stopped, before acknowledged writes are verified.
	FaultCmd, RecoverCmd string
	// Load shape and pacing (see Load). Index is created on the clusters when missing.
	Index      string
	Workers    int
	Every      time.Duration
	WriteEvery int
	// Warmup is load before the fault, Settle load after traffic moved, Timeout the
	// bound on waiting for esdr to move traffic.
	Warmup, Settle, Timeout time.Duration
	// ES reaches a cluster's nodes directly, to prepare the index and verify writes.
	ES func(nodes []string) (*esclient.Client, error)
	// Audit runs esdr audit's rules on the active cluster and the standby traffic is to
	// move to (a zero target when none is up). nil fails the audit precondition: a
	// drill is never vouched for by an audit that did not run.
	Audit func(ctx context.Context, active, target admin.ClusterStatus) (*audit.Report, error)
	// Accept are the audit codes of severity error the operator accepts (--accept-finding).
	Accept []audit.Code
	// Progress receives one line per second while the load runs, and a line per step.
	Progress io.Writer
}

// Run checks the preconditions, then runs the scenario under load and returns what
// happened. A report is returned with every error after the checks, so that a failed
// drill still says how far it got.
func (d *Drill) Run(ctx context.Context) (*Report, error) {
	if d.Progress == nil {
		d.Progress = io.Discard
	}
	r := &Report{Scenario: d.Scenario, Endpoint: d.Endpoint, Index: d.Index, Started: time.Now()}
	st, err := d.API.Status(ctx)
	if err != nil {
		r.Checks = []Check{{Name: "esdr's admin API answers", Detail: err.Error()}}
		return r, ErrPreconditions
	}
	r.Checks = []Check{{Name: "esdr's admin API answers", OK: true, Detail: fmt.Sprintf("revision %d", st.Revision)}}
	checks, target := Precheck(st, d.Scenario, d.Target)
	r.Checks = append(r.Checks, checks...)
	r.Checks = append(r.Checks, d.checkAudit(ctx, r, st, target), d.checkEndpoint(ctx))
	if !Passed(r.Checks) {
		return r, ErrPreconditions
	}
	from := st.State.Active
	nodes := map[string][]string{}
	for _, c := range st.Clusters {
		nodes[c.Name] = c.Nodes
	}
	for _, c := range []string{from, target} {
		err := d.prepare(ctx, nodes[c])
		if c == target && errors.Is(err, ErrReadOnly) {
			// The usual state of a standby after a switchover back: esdr's plan lifts the
			// block when it makes it active, and the first write there creates the index.
			r.mark(d.Progress, "index %s not created on %s beforehand: it is read-only (fenced) until esdr makes it active", d.Index, c)
			continue
		}
		if err != nil {
			return r, fmt.Errorf("drill: prepare %s on %s: %w", d.Index, c, err)
		}
	}
	seq0 := d.lastSeq(ctx)
	retries0, _ := proxyRetries(ctx, d.httpTransport(), d.MetricsURL)

	counter := &Counter{Next: d.httpTransport()}
	load := Load{URL: d.Endpoint, Index: d.Index, Workers: d.Workers, Every: d.Every, WriteEvery: d.WriteEvery,
		Client: &http.Client{Transport: counter}, IDPrefix: r.Started.UTC().Format("20060102T150405.000000-")}
	lctx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	got := make(chan []Sample, 1)
	r.mark(d.Progress, "load started: %d workers, one request each per %s, every %d a write, through %s", d.Workers, d.Every, d.WriteEvery, d.Endpoint)
	go func() { got <- load.Run(lctx) }()
	progressDone := make(chan struct{})
	go d.progress(lctx, r, counter, progressDone)

	runErr := d.scenario(ctx, r, from, target, st.State.Epoch)
	stopLoad()
	r.Samples = <-got
	<-progressDone
	r.mark(d.Progress, "load stopped: %d requests", len(r.Samples))
	if d.RecoverCmd != "" {
		r.mark(d.Progress, "recover command started: %s", d.RecoverCmd)
		out, err := runShell(ctx, d.RecoverCmd, d.Timeout)
		r.mark(d.Progress, "recover command done (%s): %s", errText(err), out)
	}
	d.finish(ctx, r, seq0, retries0)
	r.Finished = time.Now()
	return r, runErr
}

// scenario injects the fault or asks for the switchover, and waits for traffic to move.
func (d *Drill) scenario(ctx context.Context, r *Report, from, target string, epoch uint64) error {
	sleep(ctx, d.Warmup)
	if err := d.unmoved(ctx, from, epoch); err != nil {
		return err
	}
	switch d.Scenario {
	case ScenarioSwitchover:
		for _, to := range []string{target, from} {
			at := r.mark(d.Progress, "switchover to %s asked", to)
			r.Phases = append(r.Phases, Phase{Name: "switchover to " + to, At: at})
			if _, err := d.API.Switchover(ctx, to, false); err != nil {
				return fmt.Errorf("drill: switchover to %s: %w", to, err)
			}
			if err := d.waitActive(ctx, r, func(a string) bool { return a == to }); err != nil {
				return err
			}
			sleep(ctx, d.Settle)
		}
		return nil
	case ScenarioFault:
		at := r.mark(d.Progress, "fault command started: %s", d.FaultCmd)
		r.Phases = append(r.Phases, Phase{Name: "fault", At: at})
		out, err := runShell(ctx, d.FaultCmd, d.Timeout)
		r.mark(d.Progress, "fault command done (%s): %s", errText(err), out)
		if err != nil {
			return fmt.Errorf("drill: fault command: %w", err)
		}
		if err := d.waitActive(ctx, r, func(a string) bool { return a != from }); err != nil {
			return err
		}
		sleep(ctx, d.Settle)
		return nil
	}
	return fmt.Errorf("drill: unknown scenario %q", d.Scenario)
}

// unmoved checks, just before the scenario acts, that esdr has not moved traffic on its
// own during the warmup: a failover then would make the drill measure nothing and still
// pass (the fault scenario waits for "active is not the one before").
func (d *Drill) unmoved(ctx context.Context, from string, epoch uint64) error {
	st, err := d.API.Status(ctx)
	if err != nil {
		return fmt.Errorf("drill: status before the scenario: %w", err)
	}
	if st.State.Active != from || st.State.Epoch != epoch {
		return fmt.Errorf("%w: %s active at epoch %d, was %s at epoch %d (last decision %s: %s)", ErrMovedBeforeFault,
			st.State.Active, st.State.Epoch, from, epoch, st.LastDecision.Code, st.LastDecision.Reason)
	}
	return nil
}

// ErrMovedBeforeFault: esdr changed the active cluster during the drill's warmup.
var ErrMovedBeforeFault = errors.New("drill: esdr moved traffic before the scenario started")

func (d *Drill) waitActive(ctx context.Context, r *Report, ok func(active string) bool) error {
	deadline := time.Now().Add(d.Timeout)
	for time.Now().Before(deadline) {
		if st, err := d.API.Status(ctx); err == nil && ok(st.State.Active) {
			r.mark(d.Progress, "esdr: %s active at epoch %d", st.State.Active, st.State.Epoch)
			return nil
		}
		if !sleep(ctx, 100*time.Millisecond) {
			return ctx.Err()
		}
	}
	return fmt.Errorf("drill: esdr did not move traffic within %s", d.Timeout)
}

func (d *Drill) progress(ctx context.Context, r *Report, c *Counter, done chan struct{}) {
	defer close(done)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			t := c.Take()
			fmt.Fprintf(d.Progress, "%8s  %4d ok  %4d failed  served by %s\n", since(r.Started, now), t.OK, t.Failed, t.Serving)
		}
	}
}

// finish adds esdr's own events, the proxy's retries, the phase numbers and the
// verification of acknowledged writes.
func (d *Drill) finish(ctx context.Context, r *Report, seq0 uint64, retries0 map[string]float64) {
	if evs, err := d.API.Events(ctx, seq0, 1000); err == nil {
		for _, e := range evs {
			what := fmt.Sprintf("esdr #%d %s", e.Seq, e.Kind)
			if e.Code != "" {
				what += " " + string(e.Code)
			}
			r.Timeline = append(r.Timeline, Mark{At: e.At, What: what + ": " + e.Message})
		}
	}
	sort.SliceStable(r.Timeline, func(i, j int) bool { return r.Timeline[i].At.Before(r.Timeline[j].At) })
	if retries1, err := proxyRetries(ctx, d.httpTransport(), d.MetricsURL); err == nil && retries0 != nil {
		r.Retries = map[string]float64{}
		for k, v := range retries1 {
			r.Retries[k] = v - retries0[k]
		}
	}
	r.summarize()
	st, err := d.API.Status(ctx)
	if err != nil {
		r.Problems = append(r.Problems, "status for verification: "+err.Error())
		return
	}
	nodes := map[string][]string{}
	for _, c := range st.Clusters {
		nodes[c.Name] = c.Nodes
	}
	for cluster, ids := range Acked(r.Samples) {
		v := Verification{Cluster: cluster, Acked: len(ids)}
		v.Missing, v.Err = d.verify(ctx, nodes[cluster], ids)
		if cluster == "" {
			v.Err = "answers carried no X-Esdr-Cluster header (is the endpoint esdr's proxy?): cannot tell which cluster acknowledged them"
		}
		r.Verified = append(r.Verified, v)
	}
	sort.Slice(r.Verified, func(i, j int) bool { return r.Verified[i].Cluster < r.Verified[j].Cluster })
	r.tallyLost()
}
