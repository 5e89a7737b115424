package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/esdr/esdr/testbed/esdrproc"
)

// runConfig is what every run of a campaign shares.
type runConfig struct {
	interval               time.Duration // esdr's health.interval (its probe timeout too)
	holdDown, bound, grace time.Duration
	warmup, cooldown       time.Duration
	planWait               time.Duration // how long a plan may take to settle after healing
	writers                int
	histories              string // folder the histories are written to
}

// runResult is one run: its schedule, the checker's verdict and where its history is.
type runResult struct {
	engine  string
	sched   schedule
	res     Result
	history string
	took    time.Duration
}

// runOnce runs one schedule on the bed: heal it, start a fresh esdr with its proxy,
// start the clients, apply the faults, heal, let the clients run on, read both clusters
// and check the history. An error is the runner's own failure (a cluster that did not
// form, esdr that did not start), not a violation: those are in the result.
func (b *bed) runOnce(ctx context.Context, cfg runConfig, sched schedule) (runResult, error) {
	began := time.Now()
	out := runResult{engine: b.engine, sched: sched,
		history: filepath.Join(cfg.histories, fmt.Sprintf("%s-seed-%d.jsonl", b.engine, sched.seed))}
	if err := b.heal(ctx, true); err != nil {
		return out, err
	}
	rec, err := NewRecorder(out.history)
	if err != nil {
		return out, err
	}
	defer rec.Close()
	rec.Add(Entry{Type: TypeMeta, Meta: &Meta{Seed: sched.seed, Engine: b.engine, Family: sched.family,
		Clusters: clusterNames[:], Interval: cfg.interval, HoldDown: cfg.holdDown, Bound: cfg.bound, Grace: cfg.grace}})

	n := &nemesis{bed: b, rec: rec, esdrDir: filepath.Join(b.dir, fmt.Sprintf("esdr-seed-%d", sched.seed))}
	_ = os.RemoveAll(n.esdrDir) // a replayed seed starts on fresh state
	proxy, err := esdrproc.FreeAddr()
	if err == nil {
		n.esdrAddr, err = esdrproc.FreeAddr()
	}
	if err != nil {
		return out, fmt.Errorf("chaos: ports: %w", err)
	}
	n.esdrCfg = filepath.Join(n.esdrDir, "esdr.yaml")
	n.esdrYAML = b.esdrConfig(n.esdrAddr, proxy, cfg.interval, cfg.holdDown)
	if n.esdr, err = b.startEsdr(ctx, n.esdrDir, n.esdrAddr, n.esdrYAML); err != nil {
		return out, err
	}
	defer func() { n.proc().Stop() }()
	if err := n.esdr.WaitUp(ctx, 2*time.Minute, clusterNames[:]...); err != nil {
		return out, fmt.Errorf("chaos: esdr never saw both clusters up: %w", err)
	}
	// A move before the first fault is no reason to stop: the checker reports it as a
	// false failover, which is what it is.
	if err := n.esdr.WaitSettled(ctx, time.Minute, clusterNames[0]); err != nil && !errors.Is(err, esdrproc.ErrMoved) {
		return out, err
	}

	index := fmt.Sprintf("chaos-%d", sched.seed)
	wl := newWorkload("http://"+proxy, index, cfg.writers, rec)
	wctx, stopClients := context.WithCancel(ctx)
	clients := make(chan struct{})
	go func() { wl.run(wctx, sched.seed); close(clients) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			stopClients()
			<-clients
		}
	}
	defer stop()

	sleep(ctx, cfg.warmup)
	if err := b.waitGreen(ctx); err != nil {
		return out, err
	}
	if err := n.run(ctx, sched, time.Now()); err != nil {
		return out, err
	}
	if err := b.heal(ctx, false); err != nil {
		return out, err
	}
	sleep(ctx, cfg.cooldown)
	stop()

	fin := final(ctx, n.esdrAddr, cfg.planWait)
	rec.Add(Entry{Type: TypeFinal, Final: &fin})
	evs, err := events(ctx, n.esdrAddr)
	if err != nil {
		return out, err
	}
	for i := range evs {
		rec.Add(Entry{Type: TypeEvent, At: evs[i].At, Event: &evs[i]})
	}
	n.proc().Stop() // before the reads and the unfence: esdr would fence again
	// esdr's own log beside the history: what its probes saw, for a violation's post-mortem.
	_ = os.WriteFile(esdrLogOf(out.history), []byte(n.proc().Output()), 0o644)
	ids := wl.invoked()
	for i, c := range b.clusters {
		rd := Read{Cluster: clusterNames[i]}
		if rd.Found, err = found(ctx, c, index, ids); err != nil {
			rd.Err = err.Error()
		}
		rec.Add(Entry{Type: TypeRead, Read: &rd})
	}
	for _, c := range b.clusters {
		if err := unfence(ctx, c); err != nil {
			return out, err
		}
		if err := dropIndex(ctx, c, index); err != nil {
			return out, err
		}
	}
	if err := rec.Close(); err != nil {
		return out, err
	}
	out.res, err = checkFile(out.history)
	out.took = time.Since(began)
	return out, err
}

// checkFile checks a saved history: the checker reads what was written, not what the
// runner kept in memory.
func checkFile(path string) (Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return Result{}, fmt.Errorf("chaos: %w", err)
	}
	defer f.Close()
	h, err := ReadHistory(f)
	if err != nil {
		return Result{}, err
	}
	return Check(h), nil
}

// esdrLogOf is where a run keeps the log of its (last) esdr process.
func esdrLogOf(history string) string { return strings.TrimSuffix(history, ".jsonl") + ".esdr.log" }
