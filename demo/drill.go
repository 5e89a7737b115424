package main

import (
	"context"
	"fmt"
	"time"

	"github.com/esdr/esdr/internal/drill"
	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/internal/state"
	"github.com/esdr/esdr/testbed"
)

// index is where the demo's load writes and searches.
const index = "esdr-demo"

// result is what the drill observed, for the report.
type result struct {
	sum        drill.Summary
	duration   time.Duration
	decision   state.Event
	detect     time.Duration // kill → esdr's decision, from esdr's event
	samples    []drill.Sample
	acked      map[string]int // acknowledged writes by cluster
	missing    map[string]int // of those, not found on that cluster
	oldPrimary int64          // searches + index ops the restarted old primary executed meanwhile
}

// drill prepares the index, drives the load through the proxy, kills every primary node,
// waits for esdr's decision, then checks every acknowledged write where it was
// acknowledged (restarting the old primary for that) and that the old primary stays fenced.
func (d *demo) drill(ctx context.Context) (*result, error) {
	p, e := d.pair, d.esdr
	esP, err := esOf(p.primary)
	if err != nil {
		return nil, err
	}
	esS, err := esOf(p.standby)
	if err != nil {
		return nil, err
	}
	if err := drill.Prepare(ctx, esP, index, 1); err != nil {
		return nil, err
	}
	if err := drill.Prepare(ctx, esS, index, 0); err != nil {
		return nil, err
	}
	ep, err := e.proc.Client.Endpoint(ctx)
	if err != nil {
		return nil, err
	}
	d.step("index %s created on both clusters; traffic goes to %s (epoch %d)", index, ep.Cluster, ep.Epoch)

	load := drill.Load{URL: "http://" + e.proxy, Index: index, Workers: 2, Every: 10 * time.Millisecond, WriteEvery: 3}
	lctx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	done := make(chan []drill.Sample, 1)
	began := time.Now()
	go func() { done <- load.Run(lctx) }()
	d.step("load through the proxy: %d clients, a request every %s each, 1 in %d an index, the rest searches",
		load.Workers, load.Every, load.WriteEvery)
	if err := sleep(ctx, d.o.before); err != nil {
		return nil, err
	}

	faultAt := time.Now()
	if err := p.primary.Kill(); err != nil {
		return nil, err
	}
	d.step("killed every primary node (kill -9 of %d JVMs)", len(p.primary.Nodes))
	ev, err := e.proc.WaitTransition(ctx, 30*time.Second, ep.Epoch+1)
	if err != nil {
		return nil, err
	}
	r := &result{decision: ev, detect: ev.At.Sub(faultAt)}
	d.step("esdr decided %s → %s at epoch %d (%s), %s after the kill", ev.From, ev.To, ev.Epoch, ev.Code, r.detect.Round(time.Millisecond))
	if err := sleep(ctx, d.o.after); err != nil {
		return nil, err
	}
	stopLoad()
	r.samples = <-done
	r.duration = time.Since(began)
	r.sum = drill.Summarize(r.samples, faultAt)
	d.step("load stopped: %d requests, %d failed reads, %d failed writes", r.sum.Requests, r.sum.FailedReads, r.sum.FailedWrites)

	d.step("restarting the old primary on its data, to check the writes it acknowledged")
	if err := p.primary.Start(); err != nil {
		return nil, err
	}
	if err := testbed.SaveClusters(d.o.dir, []*testbed.Cluster{p.primary, p.standby}); err != nil {
		return nil, err
	}
	if err := d.waitFormed(ctx, "old primary", p.primary); err != nil {
		return nil, err
	}
	if err := d.verify(ctx, r, map[string]*esclient.Client{"primary": esP, "standby": esS}); err != nil {
		return nil, err
	}
	return r, d.checkFenced(ctx, r, esP, load)
}

// verify looks up every acknowledged write, by _mget, on the cluster that acknowledged it.
func (d *demo) verify(ctx context.Context, r *result, es map[string]*esclient.Client) error {
	r.acked, r.missing = map[string]int{}, map[string]int{}
	for cluster, ids := range drill.Acked(r.samples) {
		c := es[cluster]
		if c == nil {
			return fmt.Errorf("%d writes acknowledged by an unknown cluster %q", len(ids), cluster)
		}
		// A restarted cluster has formed before its shards are assigned again: wait for
		// the index, or _mget answers no_shard_available_action_exception.
		if err := drill.WaitIndex(ctx, c, index, "60s"); err != nil {
			return err
		}
		missing, err := drill.Missing(ctx, c, index, ids)
		if err != nil {
			return err
		}
		r.acked[cluster], r.missing[cluster] = len(ids), len(missing)
		d.step("%d writes acknowledged by %s: %d found there, %d missing", len(ids), cluster, len(ids)-len(missing), len(missing))
	}
	return nil
}

// checkFenced sends a second of load through the proxy and counts what the restarted old
// primary executed meanwhile: esdr must send it nothing until a switchover.
func (d *demo) checkFenced(ctx context.Context, r *result, esP *esclient.Client, load drill.Load) error {
	before, err := requestCount(ctx, esP)
	if err != nil {
		return err
	}
	lctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_ = load.Run(lctx)
	after, err := requestCount(ctx, esP)
	if err != nil {
		return err
	}
	r.oldPrimary = after - before
	d.step("old primary is back; during 1 s more of load it executed %d requests (it is fenced until a switchover)", r.oldPrimary)
	return nil
}

// requestCount is how many searches and index operations a cluster has executed.
func requestCount(ctx context.Context, es *esclient.Client) (int64, error) {
	searches, indexed, err := drill.Executed(ctx, es)
	return searches + indexed, err
}

func esOf(c *testbed.Cluster) (*esclient.Client, error) {
	return esclient.New(c.URLs(), esclient.Options{Timeout: 10 * time.Second})
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
