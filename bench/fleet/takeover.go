package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// takeover is one kill -9 of the leader.
type takeover struct {
	from, to string        // the killed leader, the next one
	elapsed  time.Duration // kill → a survivor reports leading
	agreed   time.Duration // kill → it says it leads and every other survivor names it
	// namedFirst is how long the new leader's status named itself as leader (read from
	// etcd) before it said it leads (its campaign returned).
	namedFirst time.Duration
	requests   int           // requests sent through the survivors' proxies
	failed     int           // of which not answered 200
	slowest    time.Duration // the slowest of them
}

// loadLead is how long the survivors' proxies are under load before the kill; loadTail
// is how long after the new leader is known.
const (
	loadLead = 500 * time.Millisecond
	loadTail = time.Second
)

// takeover waits for a steady fleet, puts a paced client on every survivor's proxy,
// kills the leader, polls the survivors' status every 10 ms until one leads and all name
// it, then restarts the killed member and waits until the fleet is whole again.
func (f *fleetBed) takeover(ctx context.Context) (takeover, error) {
	var t takeover
	lead, err := f.steady(ctx)
	if err != nil {
		return t, err
	}
	dead := f.members[lead]
	t.from = dead.name
	survivors := f.others(lead)
	lctx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	loads := make([]proxyLoad, len(survivors))
	var wg sync.WaitGroup
	for i, j := range survivors {
		wg.Go(func() { loads[i] = paced(lctx, f.members[j].proxyURL+"/_cluster/health") })
	}
	if err := sleep(ctx, loadLead); err != nil {
		return t, err
	}
	killed := time.Now()
	dead.proc.Kill()
	pctx, cancel := context.WithTimeout(ctx, f.spec.ttl+time.Minute)
	defer cancel()
	// Each survivor is polled until it names a new leader and, if that is itself, until
	// it says it leads: its status may name it from etcd a moment before its own
	// campaign has returned.
	type seen struct {
		named, leading time.Time
		leader         string
	}
	seens := make([]seen, len(survivors))
	var pwg sync.WaitGroup
	for i, j := range survivors {
		pwg.Go(func() {
			m, s := f.members[j], &seens[i]
			for pctx.Err() == nil {
				st, err := m.status(pctx, time.Second)
				if err == nil && s.named.IsZero() && st.Fleet.Leader != "" && st.Fleet.Leader != dead.name {
					s.named, s.leader = time.Now(), st.Fleet.Leader
				}
				if err == nil && st.Fleet.Leading && s.leading.IsZero() {
					s.leading = time.Now()
				}
				if !s.named.IsZero() && (s.leader != m.name || !s.leading.IsZero()) {
					return
				}
				_ = sleep(pctx, 10*time.Millisecond)
			}
		})
	}
	pwg.Wait()
	if err := ctx.Err(); err != nil {
		return t, err
	}
	for i, s := range seens {
		if s.named.IsZero() {
			return t, fmt.Errorf("%s never named a new leader after %s was killed\n%s", f.members[survivors[i]].name, dead.name, f.logs(30))
		}
		if t.to != "" && s.leader != t.to {
			return t, fmt.Errorf("survivors name different leaders: %s and %s\n%s", t.to, s.leader, f.logs(30))
		}
		t.to = s.leader
		if s.leading.IsZero() {
			t.agreed = max(t.agreed, s.named.Sub(killed))
		} else {
			t.elapsed, t.namedFirst = s.leading.Sub(killed), s.leading.Sub(s.named)
		}
	}
	t.agreed = max(t.agreed, t.elapsed)
	if t.elapsed == 0 {
		return t, fmt.Errorf("survivors name %s, which did not say it leads", t.to)
	}
	if err := sleep(ctx, loadTail); err != nil {
		return t, err
	}
	stopLoad()
	wg.Wait()
	for _, l := range loads {
		t.requests, t.failed, t.slowest = t.requests+l.requests, t.failed+l.failed, max(t.slowest, l.slowest)
	}
	if err := dead.start(ctx, f.spec.bin); err != nil {
		return t, err
	}
	return t, nil
}

// proxyLoad is what one paced client saw.
type proxyLoad struct {
	requests, failed int
	slowest          time.Duration
}

// paced sends a GET to url every 10 ms (one at a time, each bounded by 5 s) until ctx
// ends, counting the answers that are not 200 (a transport error counts too).
func paced(ctx context.Context, url string) proxyLoad {
	var l proxyLoad
	c := http.Client{Timeout: 5 * time.Second}
	for ctx.Err() == nil {
		start := time.Now()
		resp, err := c.Get(url) // not bound to ctx: the end of the run must not fail a request
		l.requests++
		if err != nil {
			l.failed++
		} else {
			if resp.StatusCode != http.StatusOK {
				l.failed++
			}
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
		}
		l.slowest = max(l.slowest, time.Since(start))
		_ = sleep(ctx, time.Until(start.Add(10*time.Millisecond)))
	}
	return l
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
