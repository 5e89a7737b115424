package main

import (
	"context"
	"fmt"
	"time"
)

// The ways the load reaches the primary.
const (
	targetDirect = "direct"           // the primary's node
	targetOff    = "esdr, mirror off" // esdr's proxy, proxy.listen only
	targetMirror = "esdr, mirror on"  // esdr's proxy with the mirror block
	// targetHeld is mirror on with a standby esdr cannot reach: every write journaled and
	// acknowledged as with mirror on, none replayed, so the write path's own cost shows
	// without the standby JVM's indexing on the same cores.
	targetHeld = "esdr, mirror on, replay held"
)

// drainWithin bounds the wait for the lag to return to 0 after a mirror-on load.
const drainWithin = 5 * time.Minute

// bench is the running test bed.
type bench struct {
	o                *options
	primary, standby string // node URLs
	off, on, held    *esdrBed
	fleet            *mirrorFleet // nil without -fleet
	logf             func(string, ...any)
}

// cell is one load against one target.
type cell struct {
	target, index  string
	mode           mode
	workers        int
	warm, res      loadResult
	primaryDocs    int       // documents in the index on the primary after the load
	standbyDocs    int       // on the standby, after the drain (mirror on only)
	acked          int       // documents acknowledged to the client, warm-up included
	lag            *lagStats // mirror on only
	lagFirstErr    error
	answeredBy     string     // X-Esdr-Cluster@X-Esdr-Epoch of the answers through esdr
	split          *timeSplit // through esdr only
	lagSampleEvery time.Duration
}

// measure runs one load against target in a fresh index of its own: created empty on
// the primary (and the standby, for mirror on), a warm-up, the measured load; with
// mirroring on, the lag sampled throughout and the drain waited for; then the counts,
// and the index deleted again.
func (b *bench) measure(ctx context.Context, target string, m mode, workers int) (cell, error) {
	c := cell{target: target, mode: m, workers: workers, lagSampleEvery: b.o.lagEvery}
	key := map[string]string{targetDirect: "direct", targetOff: "off", targetMirror: "on", targetHeld: "held", targetFleet: "fleet"}[target]
	c.index = fmt.Sprintf("bench-mirror-%s-%s-%d", key, m, workers)
	urls, nodes := []string{b.primary}, []string{b.primary}
	var lagFrom []string // the admin URLs whose lag is sampled: mirror on only
	var admins []string  // the esdr processes the load goes through
	switch target {
	case targetOff:
		urls, admins = []string{b.off.proxyURL}, []string{b.off.adminURL}
	case targetMirror:
		urls, nodes, lagFrom = []string{b.on.proxyURL}, []string{b.primary, b.standby}, []string{b.on.adminURL}
		admins = lagFrom
	case targetHeld:
		urls, admins = []string{b.held.proxyURL}, []string{b.held.adminURL}
	case targetFleet:
		urls, nodes, lagFrom = b.fleet.proxyURLs(), []string{b.primary, b.standby}, b.fleet.adminURLs()
		admins = lagFrom
	}
	hc := client(workers)
	defer hc.CloseIdleConnections()
	if err := freshIndex(ctx, hc, c.index, nodes...); err != nil {
		return c, err
	}
	spec := loadSpec{urls: urls, index: c.index, mode: m, workers: workers, batch: b.o.batch, d: b.o.warmup, prefix: "warm-"}
	if b.o.warmup > 0 {
		c.warm = runLoad(ctx, hc, spec)
	}
	var lag *lagSampler
	if lagFrom != nil {
		lag = startLag(ctx, hc, lagFrom, b.o.lagEvery)
	}
	spec.d, spec.prefix = b.o.d, "m-"
	var split *splitMeter
	if admins != nil {
		var err error
		if split, err = startSplit(ctx, hc, admins); err != nil {
			return c, err
		}
	}
	from := time.Now()
	c.res = runLoad(ctx, hc, spec)
	to := time.Now()
	if split != nil {
		ts, err := split.stop(ctx, hc)
		if err != nil {
			return c, err
		}
		c.split = &ts
	}
	if err := ctx.Err(); err != nil {
		if lag != nil {
			lag.stop()
		}
		return c, err
	}
	c.acked = c.warm.docs + c.res.docs
	c.answeredBy = clusterList(c.res.clusters)
	if lag != nil {
		zero, err := lag.waitZero(ctx, to, drainWithin)
		samples, failed, firstErr := lag.stop()
		if err != nil {
			return c, fmt.Errorf("%w (%d scrapes failed, first: %v)", err, failed, firstErr)
		}
		st := summarise(samples, from, to, zero, failed)
		c.lag, c.lagFirstErr = &st, firstErr
	}
	var err error
	if c.primaryDocs, err = count(ctx, hc, c.index, b.primary); err != nil {
		return c, err
	}
	if lagFrom != nil {
		if c.standbyDocs, err = count(ctx, hc, c.index, b.standby); err != nil {
			return c, err
		}
	}
	b.logf("%-6s %3d workers %-16s %8.0f docs/s (%6.0f req/s)  p50 %-8s p99 %-8s errors %d  docs acked %d, primary holds %d  answered by %s",
		m, workers, target, c.res.perSecond(), float64(c.res.requests)/c.res.elapsed.Seconds(),
		ms(c.res.p50), ms(c.res.p99), c.res.errors, c.acked, c.primaryDocs, or(c.answeredBy, "the node"))
	if c.split != nil {
		b.logf("  mean per request in esdr's proxy %s, of which at the node %s; journal fsyncs %.2f per request, %s each",
			ms(c.split.request), ms(c.split.node), c.split.fsyncs, ms(c.split.fsync))
	}
	if c.res.firstErr != "" {
		b.logf("  first error: %s", c.res.firstErr)
	}
	if l := c.lag; l != nil {
		b.logf("  lag under load: max %.0f records / %.2fs, p95 %.0f / %.2fs (%d samples); drained %s after the load; replay %.0f records/s; standby holds %d, primary %d",
			l.maxOps, l.maxSecs, l.p95Ops, l.p95Secs, l.samples, ms(l.drain), l.replayRate, c.standbyDocs, c.primaryDocs)
	}
	for _, n := range nodes {
		if err := dropIndex(ctx, hc, c.index, n); err != nil {
			return c, err
		}
	}
	return c, nil
}

// warmUp writes through the mirror-on esdr for d per load, unmeasured, into an index of
// its own, and waits for the standby to catch up: the first measured cell then finds
// both JVMs and esdr's write path warm (compiled), like the cells after it.
func (b *bench) warmUp(ctx context.Context, d time.Duration) error {
	const index = "bench-mirror-jvm-warmup"
	hc := client(8)
	defer hc.CloseIdleConnections()
	if err := freshIndex(ctx, hc, index, b.primary, b.standby); err != nil {
		return err
	}
	for _, m := range b.o.modes {
		r := runLoad(ctx, hc, loadSpec{urls: []string{b.on.proxyURL}, index: index, mode: m, workers: 8, batch: b.o.batch, d: d, prefix: "jvm-"})
		b.logf("JVM warm-up, %s, 8 workers through mirror on: %.0f docs/s, %d errors", m, r.perSecond(), r.errors)
	}
	lag := startLag(ctx, hc, []string{b.on.adminURL}, b.o.lagEvery)
	_, err := lag.waitZero(ctx, time.Now(), drainWithin)
	lag.stop()
	if err != nil {
		return fmt.Errorf("JVM warm-up: %w", err)
	}
	for _, n := range []string{b.primary, b.standby} {
		if err := dropIndex(ctx, hc, index, n); err != nil {
			return err
		}
	}
	return nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func ms(d time.Duration) string {
	if d >= 100*time.Millisecond {
		return d.Round(time.Millisecond).String()
	}
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}
