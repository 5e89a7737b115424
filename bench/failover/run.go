package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/esdr/esdr/bench/anchor"
	"github.com/esdr/esdr/bench/report"
	"github.com/esdr/esdr/internal/drill"
	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/testbed"
	"github.com/esdr/esdr/testbed/esdrproc"
)

// fault is what happens to every primary node.
type fault string

const (
	faultKill  fault = "kill"  // kill -9: a crash
	faultPause fault = "pause" // SIGSTOP: a hang, sockets open
)

// load is one client of a run: an endpoint and a mix.
type load struct{ endpoint, mix string }

// outcome is what one client saw in one run.
type outcome struct {
	sum     drill.Summary
	longest time.Duration // the slowest request, failed or not
	missing int           // acknowledged writes not found where acknowledged
}

// runResult is one run of one fault: what each client saw and when esdr decided.
type runResult struct {
	decision time.Duration // fault → esdr's failover event; 0 with void or undecided
	// void says why this run measures no failover (esdr had moved before the fault);
	// undecided why esdr recorded no failover after it. Empty: it did.
	void, undecided string
	byLoad          map[load]outcome
}

// bed is what every run shares: the clusters, the binary, the settings.
type bed struct {
	dir              string
	esdrBin          string
	primary, standby *testbed.Cluster
	esP, esS         *esclient.Client
	interval         time.Duration
	threshold        int
	before, window   time.Duration
	writes           bool
	cli              bool // also run `esdr drill` on kill -9
	logf             func(string, ...any)
}

// loads are the clients of every run: reads only, and (with writes) 1 write in 2.
func (b *bed) loads() []load {
	var ls []load
	for _, e := range []string{"esdr", "haproxy"} {
		ls = append(ls, load{e, "reads"})
		if b.writes {
			ls = append(ls, load{e, "reads+writes"})
		}
	}
	return ls
}

// run measures one fault: the run's indices, fresh esdr and HAProxy, every client running
// through its endpoint, the fault, the window, then the primary healed and acknowledged
// writes checked. The indices come first: esdr fences a primary it fails over from, so a
// false failover while they were created would end the whole benchmark; after them it
// only voids the run.
func (b *bed) run(ctx context.Context, f fault, i int) (runResult, error) {
	res := runResult{byLoad: map[load]outcome{}}
	indices := map[load]string{}
	for _, l := range b.loads() {
		indices[l] = fmt.Sprintf("bench-%s-%d-%s", f, i, l.endpoint)
		if err := drill.Prepare(ctx, b.esP, indices[l], 1); err != nil {
			return res, err
		}
		if err := drill.Prepare(ctx, b.esS, indices[l], 0); err != nil {
			return res, err
		}
	}
	haAddr, _ := esdrproc.FreeAddr()
	runDir := filepath.Join(b.dir, fmt.Sprintf("%s-%d", f, i))
	e, proxyAddr, err := b.startEsdr(ctx, runDir)
	if err != nil {
		return res, err
	}
	defer e.Stop()
	h, err := anchor.Start(ctx, runDir, haproxyConfigFor(haAddr, b.primary.URLs(), b.standby.URLs()[0]), haAddr)
	if err != nil {
		return res, err
	}
	defer h.Stop()
	urls := map[string]string{"esdr": "http://" + proxyAddr, "haproxy": "http://" + haAddr}

	lctx, stop := context.WithCancel(ctx)
	defer stop()
	samples := map[load][]drill.Sample{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, l := range b.loads() {
		dl := drill.Load{URL: urls[l.endpoint], Index: indices[l], Workers: 1, Every: 10 * time.Millisecond, Timeout: 10 * time.Second}
		if l.mix != "reads" {
			dl.WriteEvery = 2
		}
		wg.Go(func() {
			got := dl.Run(lctx)
			mu.Lock()
			samples[l] = got
			mu.Unlock()
		})
	}
	if err := report.Sleep(ctx, b.before); err != nil {
		return res, err
	}
	void, err := b.settled(ctx, e)
	if err != nil {
		return res, err
	}
	if void != "" {
		b.logf("!! %s run %d: VOID: %s", f, i, void)
	}
	faultAt := time.Now()
	if f == faultKill {
		err = b.primary.Kill()
	} else {
		err = b.primary.Pause()
	}
	if err != nil {
		return res, err
	}
	if res.decision, res.void, res.undecided, err = b.waitDecision(ctx, e, faultAt, void); err != nil {
		return res, err
	}
	if res.void != "" && void == "" {
		b.logf("!! %s run %d: VOID: %s", f, i, res.void)
	}
	if res.undecided != "" {
		b.logf("!! %s run %d: %s", f, i, res.undecided)
	}
	if err := report.Sleep(ctx, time.Until(faultAt.Add(b.window))); err != nil {
		return res, err
	}
	stop()
	wg.Wait()
	// esdr fences the old primary (cluster.blocks.read_only) as soon as it answers: stop
	// esdr before healing it, then lift the block for the next run.
	e.Stop()
	h.Stop()
	if err := b.heal(ctx, f); err != nil {
		return res, err
	}
	if err := b.waitGreen(ctx, values(indices)...); err != nil {
		return res, err
	}
	for l, s := range samples {
		o := outcome{sum: drill.Summarize(s, faultAt)}
		for _, x := range s {
			o.longest = max(o.longest, x.Latency)
		}
		for cluster, ids := range drill.Acked(s) {
			es := map[string]*esclient.Client{"primary": b.esP, "standby": b.esS}[cluster]
			if es == nil {
				return res, fmt.Errorf("%s %s: %d writes acknowledged by unknown cluster %q", l.endpoint, l.mix, len(ids), cluster)
			}
			missing, err := drill.Missing(ctx, es, indices[l], ids)
			if err != nil {
				return res, err
			}
			o.missing += len(missing)
		}
		res.byLoad[l] = o
	}
	return res, b.dropIndices(ctx, values(indices)...)
}

// startEsdr starts a fresh esdr with its proxy on the pair, in runDir, and waits until it
// sees both clusters up with the primary active (a false failover at start is reported
// by the check before the fault). It returns the proxy's address.
func (b *bed) startEsdr(ctx context.Context, runDir string) (*esdrproc.Proc, string, error) {
	adminAddr, proxyAddr, err := esdrproc.Addrs()
	if err != nil {
		return nil, "", err
	}
	cfg := esdrproc.Pair{Primary: b.primary.URLs(), Standby: b.standby.URLs(), Interval: b.interval,
		Threshold: b.threshold, AdminAddr: adminAddr, ProxyAddr: proxyAddr}
	e, err := esdrproc.Start(ctx, b.esdrBin, runDir, adminAddr, cfg.YAML())
	if err != nil {
		return nil, "", err
	}
	if err := e.WaitUp(ctx, time.Minute, "primary", "standby"); err != nil {
		e.Stop()
		return nil, "", err
	}
	if err := e.WaitSettled(ctx, time.Minute, "primary"); err != nil && !errors.Is(err, esdrproc.ErrMoved) {
		e.Stop()
		return nil, "", err
	}
	return e, proxyAddr, nil
}
