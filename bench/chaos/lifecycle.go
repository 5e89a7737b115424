package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/esdr/esdr/testbed/esdrproc"
)

// startEsdr starts a run's members, waits until every one sees both clusters up and the
// first active cluster is settled (in a fleet: a member leads, and the etcd key names
// the active cluster), and returns the run's clients, not yet running.
func (b *bed) startEsdr(ctx context.Context, ms []*member, seed int64, rec *Recorder, writers int) (*workload, error) {
	for _, m := range ms {
		if err := m.start(ctx, b.esdrBin); err != nil {
			return nil, err
		}
	}
	for _, m := range ms {
		if err := m.current().WaitUp(ctx, 2*time.Minute, clusterNames[:]...); err != nil {
			return nil, fmt.Errorf("chaos: %s never saw both clusters up: %w", m.name, err)
		}
	}
	// A move before the first fault is no reason to stop: the checker reports it as a
	// false failover, which is what it is.
	if err := ms[0].current().WaitSettled(ctx, time.Minute, clusterNames[0]); err != nil && !errors.Is(err, esdrproc.ErrMoved) {
		return nil, err
	}
	var paths []proxyPath
	for _, m := range ms {
		paths = append(paths, proxyPath{name: m.name, url: "http://" + m.proxy})
	}
	wl := newWorkload(paths, fmt.Sprintf("chaos-%d", seed), writers, rec)
	l, err := waitLeader(ctx, ms, time.Minute)
	if err != nil {
		return nil, err
	}
	// A target is written on a transition; an operator points it at the first active
	// cluster with `esdr reapply`.
	if err := adminPost(ctx, l.admin, "/v1/reapply"); err != nil {
		return nil, err
	}
	nodes := map[string][]string{}
	for i := range b.clusters {
		nodes[clusterNames[i]] = b.clientFwd[i].URLs()
	}
	wl.followers = append(wl.followers, newDNSFollower(b.named.Addr, seed, nodes))
	if b.etcd != nil {
		k, err := newKeyFollower(b.etcd.Endpoints(), activeKey(seed), nodes)
		if err != nil {
			return nil, err
		}
		wl.followers = append(wl.followers, k)
	}
	return wl, nil
}

// finish records esdr's final status (the leader's, once its plan had time to settle)
// and every event, then stops the members — before the reads and the unfence, as esdr
// would fence again — and keeps their logs beside the history.
func (b *bed) finish(ctx context.Context, cfg runConfig, ms []*member, rec *Recorder, history string) error {
	l, err := waitLeader(ctx, ms, time.Minute)
	var fin Final
	if err != nil {
		fin.Err = err.Error()
	} else {
		fin = final(ctx, l.admin, cfg.planWait)
	}
	rec.Add(Entry{Type: TypeFinal, Final: &fin})
	evs, err := events(ctx, anyLive(ctx, ms).admin)
	if err != nil {
		return err
	}
	for i := range evs {
		rec.Add(Entry{Type: TypeEvent, At: evs[i].At, Event: &evs[i]})
	}
	stopMembers(ms)
	var logs strings.Builder
	for _, m := range ms {
		if p := m.current(); p != nil {
			fmt.Fprintf(&logs, "=== %s\n%s\n", m.name, p.Output())
		}
	}
	// What esdr's probes saw, for a violation's post-mortem.
	_ = os.WriteFile(esdrLogOf(history), []byte(logs.String()), 0o644)
	return nil
}

// stopMembers stops every member's last process (again is harmless).
func stopMembers(ms []*member) {
	for _, m := range ms {
		if p := m.current(); p != nil {
			_ = p.Stop()
		}
	}
}
