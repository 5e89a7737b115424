package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"
)

// The metrics the sampler reads (docs/mirror.md, Lag).
const (
	metricLagOps     = "esdr_mirror_lag_ops"
	metricLagSeconds = "esdr_mirror_lag_seconds"
	metricApplied    = "esdr_mirror_applied_total"
)

// lagSample is one scrape of esdr's /metrics.
type lagSample struct {
	at                 time.Time
	ops, secs, applied float64
}

// lagSampler scrapes esdr's replication lag every interval until stopped.
type lagSampler struct {
	mu       sync.Mutex
	samples  []lagSample
	failed   int
	firstErr error
	cancel   context.CancelFunc
	done     chan struct{}
}

// startLag starts sampling the metrics of the esdr processes at adminURLs every interval:
// a fleet's members each journal their own writes, so their lags add up (the oldest
// record's age is the largest of theirs).
func startLag(ctx context.Context, client *http.Client, adminURLs []string, every time.Duration) *lagSampler {
	ctx, cancel := context.WithCancel(ctx)
	s := &lagSampler{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			x := lagSample{at: time.Now()}
			var err error
			for _, u := range adminURLs {
				var m map[string]float64
				if m, err = scrape(ctx, client, u, metricLagOps, metricLagSeconds, metricApplied); err != nil {
					break
				}
				x.ops, x.secs, x.applied = x.ops+m[metricLagOps], max(x.secs, m[metricLagSeconds]), x.applied+m[metricApplied]
			}
			s.mu.Lock()
			if err != nil && ctx.Err() == nil {
				s.failed++
				if s.firstErr == nil {
					s.firstErr = err
				}
			} else if err == nil {
				s.samples = append(s.samples, x)
			}
			s.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// waitZero waits until a sample taken after since shows no lag, and returns that sample.
func (s *lagSampler) waitZero(ctx context.Context, since time.Time, within time.Duration) (lagSample, error) {
	deadline := time.Now().Add(within)
	for {
		s.mu.Lock()
		for _, x := range s.samples {
			if x.at.After(since) && x.ops == 0 {
				s.mu.Unlock()
				return x, nil
			}
		}
		s.mu.Unlock()
		if time.Now().After(deadline) {
			return lagSample{}, fmt.Errorf("replication lag not back to 0 within %s after the load", within)
		}
		select {
		case <-ctx.Done():
			return lagSample{}, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop ends sampling and returns every sample.
func (s *lagSampler) stop() ([]lagSample, int, error) {
	s.cancel()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.samples, s.failed, s.firstErr
}

// lagStats summarises the lag of one mirror-on run.
type lagStats struct {
	samples, failed  int     // scrapes during the load; failed scrapes overall
	maxOps, p95Ops   float64 // journal records not yet applied to the standby
	maxSecs, p95Secs float64 // age of the oldest of them
	drain            time.Duration
	replayRate       float64 // records applied per second, from the load's start to lag 0
	applied          float64 // records applied in that window
}

// summarise computes the lag under load (samples in [from, to]) and the drain: the time
// from to (the last answer of the load) to the first sample with no lag, zero.
func summarise(samples []lagSample, from, to time.Time, zero lagSample, failed int) lagStats {
	st := lagStats{failed: failed, drain: zero.at.Sub(to)}
	var ops, secs []float64
	var first *lagSample
	for i, x := range samples {
		if x.at.Before(from) || x.at.After(to) {
			continue
		}
		if first == nil {
			first = &samples[i]
		}
		ops, secs = append(ops, x.ops), append(secs, x.secs)
	}
	st.samples = len(ops)
	slices.Sort(ops)
	slices.Sort(secs)
	if len(ops) > 0 {
		st.maxOps, st.p95Ops = ops[len(ops)-1], pick(ops, 0.95)
		st.maxSecs, st.p95Secs = secs[len(secs)-1], pick(secs, 0.95)
	}
	if first != nil && zero.at.After(first.at) {
		st.applied = zero.applied - first.applied
		st.replayRate = st.applied / zero.at.Sub(first.at).Seconds()
	}
	return st
}

// pick is the q-quantile of sorted values (nearest rank).
func pick(sorted []float64, q float64) float64 {
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
