package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/esdr/esdr/internal/act"
)

// switchResult is one switchover as the members' proxies saw it, times from the moment
// the command was sent to the leader.
type switchResult struct {
	to    string
	epoch uint64
	ack   time.Duration // the command's answer
	first time.Duration // the first member whose endpoint showed the new epoch
	last  time.Duration // the last one
	// poll is the slowest GET /v1/endpoint round trip of any poller: with the pause, how
	// late a member's switch may be seen.
	poll time.Duration
}

// switchTo waits for a steady fleet, starts one poller per member on GET /v1/endpoint
// (a poll every pause), sends the switchover to the leader and records when each member
// first shows the new epoch; then waits until the leader's plan for it is done, so the
// next switchover starts from a fenced/unfenced pair.
func (f *fleetBed) switchTo(ctx context.Context, to string, pause time.Duration) (switchResult, error) {
	r := switchResult{to: to}
	lead, err := f.steady(ctx)
	if err != nil {
		return r, err
	}
	leader := f.members[lead]
	ep, err := leader.endpoint(ctx, 2*time.Second)
	if err != nil {
		return r, err
	}
	if ep.Cluster == to {
		return r, fmt.Errorf("%s is already active at epoch %d", to, ep.Epoch)
	}
	r.epoch = ep.Epoch + 1
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	seen := make([]time.Time, len(f.members))
	rtt := make([]time.Duration, len(f.members))
	var wg sync.WaitGroup
	for i, m := range f.members {
		wg.Go(func() {
			for pctx.Err() == nil {
				start := time.Now()
				e, err := m.endpoint(pctx, time.Second)
				rtt[i] = max(rtt[i], time.Since(start))
				if err == nil && e.Cluster == to && e.Epoch >= r.epoch {
					seen[i] = time.Now()
					return
				}
				_ = sleep(pctx, pause)
			}
		})
	}
	if err := sleep(ctx, 50*time.Millisecond); err != nil { // every poller under way
		return r, err
	}
	sent := time.Now()
	d, err := leader.proc.Client.Switchover(ctx, to, false)
	r.ack = time.Since(sent)
	if err != nil {
		cancel()
		wg.Wait()
		return r, fmt.Errorf("switchover to %s via %s: %w", to, leader.name, err)
	}
	if d.Epoch != r.epoch {
		cancel()
		wg.Wait()
		return r, fmt.Errorf("switchover to %s answered epoch %d, want %d", to, d.Epoch, r.epoch)
	}
	wg.Wait()
	for i, at := range seen {
		if at.IsZero() {
			return r, fmt.Errorf("%s never routed to %s at epoch %d\n%s", f.members[i].name, to, r.epoch, f.logs(30))
		}
	}
	r.poll = slices.Max(rtt)
	r.first, r.last = slices.MinFunc(seen, compareTime).Sub(sent), slices.MaxFunc(seen, compareTime).Sub(sent)
	return r, f.planDone(ctx, lead, r.epoch)
}

func compareTime(a, b time.Time) int { return a.Compare(b) }

// planDone waits until the leader's plan of epoch has settled as done.
func (f *fleetBed) planDone(ctx context.Context, lead int, epoch uint64) error {
	m := f.members[lead]
	deadline := time.Now().Add(time.Minute)
	for {
		st, err := m.status(ctx, 2*time.Second)
		if err == nil && st.Plan != nil && st.Plan.Epoch == epoch {
			switch st.Plan.Status {
			case act.StatusDone:
				return nil
			case act.StatusSuperseded, act.StatusVetoed: // a failed plan is attempted again: wait
				return fmt.Errorf("plan of epoch %d on %s: %s: %+v", epoch, m.name, st.Plan.Status, st.Plan.Steps)
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("plan of epoch %d on %s not done within a minute\n%s", epoch, m.name, f.logs(30))
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
}
