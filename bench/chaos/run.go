package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// runConfig is what every run of a campaign shares.
type runConfig struct {
	interval               time.Duration // esdr's health.interval (its probe timeout too)
	holdDown, bound, grace time.Duration
	warmup, cooldown       time.Duration
	planWait               time.Duration // how long a plan may take to settle after healing
	writers                int
	histories              string // folder the histories are written to
	mirror                 bool   // esdr's mirror mode on (embedded only)
}

// runResult is one run: its schedule, the checker's verdict and where its history is.
type runResult struct {
	engine  string
	sched   schedule
	res     Result
	history string
	took    time.Duration
}

// runOnce runs one schedule on the bed: heal it, start fresh esdr members with their
// proxies, start the clients, apply the faults, heal, let the clients run on, read both
// clusters and check the history. An error is the runner's own failure (a cluster that
// did not form, esdr that did not start), not a violation: those are in the result.
func (b *bed) runOnce(ctx context.Context, cfg runConfig, sched schedule) (runResult, error) {
	began := time.Now()
	topology := embedded
	if b.etcd != nil {
		topology = fleet
	}
	out := runResult{engine: b.engine, sched: sched,
		history: filepath.Join(cfg.histories, fmt.Sprintf("%s-%s-seed-%d.jsonl", b.engine, topology, sched.seed))}
	if err := b.heal(ctx, true); err != nil {
		return out, err
	}
	rec, err := NewRecorder(out.history)
	if err != nil {
		return out, err
	}
	defer rec.Close()
	rec.Add(Entry{Type: TypeMeta, Meta: &Meta{Seed: sched.seed, Engine: b.engine, Topology: topology, Family: sched.family,
		Clusters: clusterNames[:], Interval: cfg.interval, HoldDown: cfg.holdDown, Bound: cfg.bound, Grace: cfg.grace, Mirror: cfg.mirror}})

	_ = os.RemoveAll(b.runDir(sched.seed)) // a replayed seed starts on fresh state
	// esdr's log is kept beside the history; its state, on a small disk, is not.
	defer os.RemoveAll(b.runDir(sched.seed))
	ms, err := b.newMembers(sched.seed, cfg)
	if err != nil {
		return out, err
	}
	n := &nemesis{bed: b, rec: rec, members: ms}
	defer stopMembers(ms)
	wl, err := b.startEsdr(ctx, ms, sched.seed, rec, cfg.writers)
	if err != nil {
		return out, err
	}
	for _, f := range wl.followers {
		defer f.close()
	}
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

	if err := b.finish(ctx, cfg, ms, rec, out.history); err != nil {
		return out, err
	}
	index := wl.index
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
