package main

import (
	"context"
	"fmt"
	"github.com/esdr/esdr/bench/anchor"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

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
	decision time.Duration
	byLoad   map[load]outcome
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

// run measures one fault: fresh esdr and HAProxy, every client running through its
// endpoint, the fault, the window, then the primary healed and acknowledged writes checked.
func (b *bed) run(ctx context.Context, f fault, i int) (runResult, error) {
	res := runResult{byLoad: map[load]outcome{}}
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
	if err := sleep(ctx, b.before); err != nil {
		return res, err
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
	ev, err := e.WaitTransition(ctx, 30*time.Second, 2)
	if err != nil {
		return res, err
	}
	res.decision = ev.At.Sub(faultAt)
	if err := sleep(ctx, time.Until(faultAt.Add(b.window))); err != nil {
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
// sees both clusters up. It returns the proxy's address.
func (b *bed) startEsdr(ctx context.Context, runDir string) (*esdrproc.Proc, string, error) {
	adminAddr, _ := esdrproc.FreeAddr()
	proxyAddr, _ := esdrproc.FreeAddr()
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
	return e, proxyAddr, nil
}

// heal brings the primary back: SIGCONT after a pause, a restart on its data after a kill.
func (b *bed) heal(ctx context.Context, f fault) error {
	start := time.Now()
	var err error
	if f == faultKill {
		err = b.primary.Start()
	} else {
		err = b.primary.Resume()
	}
	if err != nil {
		return err
	}
	if err := b.primary.WaitFormed(ctx, len(b.primary.Nodes)); err != nil {
		return err
	}
	// The block as the request's only setting: anything else is refused while it holds.
	if err := b.esP.PutClusterSettings(ctx, map[string]any{"cluster.blocks.read_only": nil}); err != nil {
		return fmt.Errorf("unfence primary: %w", err)
	}
	b.logf("  primary healed (%s) in %s", map[fault]string{faultKill: "restarted", faultPause: "resumed"}[f], time.Since(start).Round(time.Second))
	return nil
}

// waitGreen waits until every copy of the run's indices on the healed primary has
// started: _mget is refused by a shard still recovering.
func (b *bed) waitGreen(ctx context.Context, names ...string) error {
	path := "/_cluster/health/" + strings.Join(names, ",") + "?wait_for_status=green&timeout=60s"
	status, body, err := b.esP.Do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return fmt.Errorf("wait for the run's indices: %w", err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("wait for the run's indices: HTTP %d: %.200s", status, body)
	}
	return nil
}

// dropIndices deletes a run's indices on both clusters, so that restarts stay quick.
func (b *bed) dropIndices(ctx context.Context, names ...string) error {
	for _, name := range names {
		for _, es := range []*esclient.Client{b.esP, b.esS} {
			status, body, err := es.Do(ctx, http.MethodDelete, "/"+name, nil)
			if err != nil {
				return fmt.Errorf("delete %s: %w", name, err)
			}
			if status != http.StatusOK && status != http.StatusNotFound {
				return fmt.Errorf("delete %s: HTTP %d: %.200s", name, status, body)
			}
		}
	}
	return nil
}

func values(m map[load]string) []string {
	var vs []string
	for _, v := range m {
		vs = append(vs, v)
	}
	return vs
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
