package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/esdr/esdr/bench/report"
)

// maxRunErrors stops a campaign after this many runner failures in a row: the bed is
// then broken, and more runs would only repeat the error.
const maxRunErrors = 3

// campaignResult is what a campaign produced, for the report.
type campaignResult struct {
	engine, topology      string
	first, last           int64 // seeds
	runs                  []runResult
	errors                []string // runner failures, by seed
	took                  time.Duration
	loadBefore, loadAfter string
	histories             string
	cfg                   runConfig
}

func (c *campaignResult) violations() int {
	n := 0
	for _, r := range c.runs {
		n += len(r.res.Violations)
	}
	return n
}

// campaign starts the bed once and runs the seeds from f.seed on, one after the other.
func campaign(ctx context.Context, f flags, logf func(string, ...any)) (*campaignResult, error) {
	c := &campaignResult{engine: f.engine, topology: f.topology, first: f.seed, loadBefore: report.LoadAverage(), cfg: f.cfg}
	began := time.Now()
	dir, err := os.MkdirTemp("", "esdr-chaos-bed-")
	if err != nil {
		return nil, fmt.Errorf("chaos: %w", err)
	}
	defer os.RemoveAll(dir)
	cfg := f.cfg
	if cfg.histories = f.histories; cfg.histories == "" {
		if cfg.histories, err = os.MkdirTemp("", "esdr-chaos-histories-"); err != nil {
			return nil, fmt.Errorf("chaos: %w", err)
		}
	} else if err := os.MkdirAll(cfg.histories, 0o755); err != nil {
		return nil, fmt.Errorf("chaos: %w", err)
	}
	c.histories = cfg.histories
	if _, err := os.Stat(f.esdrBin); err != nil {
		return nil, fmt.Errorf("chaos: esdr binary: %w (make build)", err)
	}
	b, err := startBed(ctx, f.engine, f.topology, dir, f.esdrBin, logf)
	if err != nil {
		return nil, err
	}
	defer b.stop()
	allowed := strings.Split(f.families, ",")
	inARow := 0
	for i := range f.runs {
		if ctx.Err() != nil || (f.maxTime > 0 && time.Since(began) > f.maxTime) {
			logf("stopping after %d runs: %v", len(c.runs), context.Cause(ctx))
			break
		}
		seed := f.seed + int64(i)
		c.last = seed
		sched := newSchedule(seed, allowed, f.topology, cfg.bound)
		logf("run %d/%d: %s", i+1, f.runs, sched)
		r, err := b.runOnce(ctx, cfg, sched)
		if err != nil {
			c.errors = append(c.errors, fmt.Sprintf("seed %d (%s): %v", seed, sched.family, oneLine(err.Error())))
			logf("!! run %d seed %d: runner failed: %v (history %s)", i+1, seed, err, r.history)
			if inARow++; inARow == maxRunErrors {
				logf("!! %d runner failures in a row: stopping", inARow)
				break
			}
			continue
		}
		inARow = 0
		c.runs = append(c.runs, r)
		logf("run %d seed %d %s: %s in %s", i+1, seed, sched.family, r.res.summary(), r.took.Round(time.Second))
		if len(r.res.Violations) > 0 {
			for _, v := range r.res.Violations {
				logf("!! VIOLATION seed %d: %s", seed, v)
			}
			logf("!! replay: make chaos SEED=%d ENGINE=%s TOPOLOGY=%s   (history kept: %s, esdr's log beside it)", seed, f.engine, f.topology, r.history)
		} else if !f.keep {
			_ = os.Remove(r.history)
			_ = os.Remove(esdrLogOf(r.history))
		}
	}
	c.took = time.Since(began)
	c.loadAfter = report.LoadAverage()
	return c, nil
}

// summary is one run's result in one line.
func (r Result) summary() string {
	s := fmt.Sprintf("%d writes acked, %d lost, %d unverified, %d transition(s)", r.Acked, r.Lost, r.Unverified, len(r.Transitions))
	if len(r.RTO) > 0 {
		s += fmt.Sprintf(", decision %s after the fault", r.RTO[0].Round(time.Millisecond))
	}
	if n := len(r.Violations); n > 0 {
		return fmt.Sprintf("%d VIOLATION(S); %s", n, s)
	}
	return "ok; " + s
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ⏎ ")
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return s
}
