package fleet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// MirrorPeers keeps the other members' mirror reports, read once and then watched, so
// that this member's mirror can hold a write until no other member owes its cluster
// anything (it is the mirror's Peers). Every write asks, so the answer comes from
// memory; etcd is read only by Run.
type MirrorPeers struct {
	m   *Member
	now func() time.Time

	mu      sync.Mutex
	reports map[string]MirrorReport
	synced  bool
	wake    chan struct{} // closed and replaced on every change
	held    int           // Waits blocked now
}

// NewMirrorPeers returns the peers of m's mirror; nothing is read until Run.
func (m *Member) NewMirrorPeers() *MirrorPeers {
	return &MirrorPeers{m: m, now: time.Now, reports: map[string]MirrorReport{}, wake: make(chan struct{})}
}

// Run reads the reports and follows their changes until ctx ends, reading them again
// after a broken watch.
func (p *MirrorPeers) Run(ctx context.Context) error {
	prefix := p.m.key("mirror/")
	for ctx.Err() == nil {
		gctx, cancel := context.WithTimeout(ctx, p.m.opts.Timeout)
		resp, err := p.m.cli.Get(gctx, prefix, clientv3.WithPrefix(), clientv3.WithLimit(maxListed))
		cancel()
		if err == nil {
			fresh := map[string]MirrorReport{}
			for _, kv := range resp.Kvs {
				if r, ok := decodeReport(kv.Value); ok {
					fresh[r.Member] = r
				}
			}
			p.set(func(reports map[string]MirrorReport) map[string]MirrorReport { return fresh })
			p.follow(ctx, prefix, resp.Header.Revision+1)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	return nil
}

// follow applies the watch's events from rev until it breaks or ctx ends.
func (p *MirrorPeers) follow(ctx context.Context, prefix string, rev int64) {
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	for wr := range p.m.cli.Watch(wctx, prefix, clientv3.WithPrefix(), clientv3.WithRev(rev)) {
		if wr.Err() != nil {
			return
		}
		p.set(func(reports map[string]MirrorReport) map[string]MirrorReport {
			for _, ev := range wr.Events {
				name := strings.TrimPrefix(string(ev.Kv.Key), prefix)
				if ev.Type == clientv3.EventTypeDelete {
					delete(reports, name)
				} else if r, ok := decodeReport(ev.Kv.Value); ok {
					reports[r.Member] = r
				}
			}
			return reports
		})
	}
}

func (p *MirrorPeers) set(change func(map[string]MirrorReport) map[string]MirrorReport) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reports = change(p.reports)
	p.synced = true
	close(p.wake)
	p.wake = make(chan struct{})
}

// Wait returns once every other member's report says, at epoch or later, that it owes
// cluster nothing; when ctx ends first, an error naming the member in the way.
func (p *MirrorPeers) Wait(ctx context.Context, cluster string, epoch uint64) error {
	for {
		p.mu.Lock()
		why, wake := p.blocker(cluster, epoch), p.wake
		if why != "" {
			p.held++
		}
		p.mu.Unlock()
		if why == "" {
			return nil
		}
		var err error
		select {
		case <-wake:
		case <-ctx.Done():
			err = errors.New(why)
		}
		p.mu.Lock()
		p.held--
		p.mu.Unlock()
		if err != nil {
			return err
		}
	}
}

// blocker says which member may still owe cluster writes at epoch, or "". Called with
// p.mu held.
func (p *MirrorPeers) blocker(cluster string, epoch uint64) string {
	if !p.synced {
		return "the other members' mirror reports are not read from etcd yet"
	}
	now := p.now()
	for name, r := range p.reports {
		switch {
		case name == p.m.opts.Name:
		case r.Epoch < epoch:
			return fmt.Sprintf("esdr member %s last reported %s ago, at epoch %d, before epoch %d: the writes it took until it "+
				"follows epoch %d are not known to be on %s (it owed %d then)", name, now.Sub(r.At).Round(time.Second), r.Epoch,
				epoch, epoch, cluster, r.Owes[cluster])
		case r.Owes[cluster] > 0:
			return fmt.Sprintf("esdr member %s owes %s %d journaled writes (reported %s ago)", name, cluster, r.Owes[cluster],
				now.Sub(r.At).Round(time.Second))
		}
	}
	return ""
}

// Synced reports whether the reports have been read from etcd at least once: before,
// what the other members owe is not known.
func (p *MirrorPeers) Synced() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.synced
}

// Reports returns every member's report as last read, this member's included.
func (p *MirrorPeers) Reports() []MirrorReport {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]MirrorReport, 0, len(p.reports))
	for _, r := range p.reports {
		out = append(out, r)
	}
	return out
}
