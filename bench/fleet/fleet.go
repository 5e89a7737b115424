package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/epoch"
	"github.com/esdr/esdr/testbed/esdrproc"
)

// fleetSpec is what every member of one fleet shares.
type fleetSpec struct {
	bin, dir         string
	primary, standby []string
	etcd             []string
	ttl, interval    time.Duration
	threshold        int
}

// member is one esdr process of the fleet; its name, addresses and config outlive a
// kill, so it restarts as the same member.
type member struct {
	name, vantage, dir  string
	adminAddr, proxyURL string
	config              string
	proc                *esdrproc.Proc // the current process; exited after a kill
}

// fleetBed is three members, esdr-a, -b, -c in zones a, b, c, quorum 2, a proxy each.
type fleetBed struct {
	spec    fleetSpec
	members []*member
}

// startFleet writes each member's config (the test bed's pair plus a fleet block under a
// prefix of its own, so fleets of different TTLs never share state) and starts them.
func startFleet(ctx context.Context, spec fleetSpec) (*fleetBed, error) {
	f := &fleetBed{spec: spec}
	prefix := fmt.Sprintf("/esdr-bench/ttl-%s/", spec.ttl)
	for _, zone := range []string{"a", "b", "c"} {
		adminAddr, proxyAddr, err := esdrproc.Addrs()
		if err != nil {
			return nil, err
		}
		m := &member{name: "esdr-" + zone, vantage: "zone-" + zone, dir: filepath.Join(spec.dir, "esdr-"+zone),
			adminAddr: adminAddr, proxyURL: "http://" + proxyAddr}
		m.config = esdrproc.Pair{Primary: spec.primary, Standby: spec.standby, Interval: spec.interval,
			Threshold: spec.threshold, AdminAddr: adminAddr, ProxyAddr: proxyAddr,
			Extra: fmt.Sprintf("fleet:\n  name: %s\n  vantage: %s\n  etcd:\n    endpoints: [%s]\n    prefix: %s\n  session_ttl: %s\n  quorum: 2\n",
				m.name, m.vantage, strings.Join(spec.etcd, ", "), prefix, spec.ttl)}.YAML()
		f.members = append(f.members, m)
	}
	for _, m := range f.members {
		if err := m.start(ctx, spec.bin); err != nil {
			f.stop()
			return nil, err
		}
	}
	return f, nil
}

// start runs the member's process and waits until its admin API answers.
func (m *member) start(ctx context.Context, bin string) error {
	p, err := esdrproc.Start(ctx, bin, m.dir, m.adminAddr, m.config)
	if err != nil {
		return fmt.Errorf("%s: %w", m.name, err)
	}
	m.proc = p
	return nil
}

// live reports whether the member's process runs.
func (m *member) live() bool { return m.proc != nil && !m.proc.Exited() }

// status is the member's status with its fleet section, within timeout.
func (m *member) status(ctx context.Context, timeout time.Duration) (admin.Status, error) {
	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	st, err := m.proc.Client.Status(sctx)
	if err == nil && st.Fleet == nil {
		err = errors.New("status has no fleet section")
	}
	return st, err
}

// endpoint is where the member's proxy routes now, within timeout.
func (m *member) endpoint(ctx context.Context, timeout time.Duration) (epoch.Endpoint, error) {
	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return m.proc.Client.Endpoint(sctx)
}

// steady waits until the fleet is whole and agrees: every member runs and names the same
// leader, that leader lists three members and has every member's view, and every proxy
// routes to the same cluster at the same epoch. It returns the leader's index.
func (f *fleetBed) steady(ctx context.Context) (int, error) {
	within := time.Minute + 3*f.spec.ttl
	deadline := time.Now().Add(within)
	var why string
	for {
		lead, reason := f.agreed(ctx)
		if reason == "" {
			return lead, nil
		}
		why = reason
		if time.Now().After(deadline) {
			return -1, fmt.Errorf("fleet not steady within %s: %s\n%s", within, why, f.logs(20))
		}
		select {
		case <-ctx.Done():
			return -1, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// agreed returns the leader's index, or why the fleet does not agree yet.
func (f *fleetBed) agreed(ctx context.Context) (int, string) {
	lead, leader := -1, ""
	var ep epoch.Endpoint
	for i, m := range f.members {
		if !m.live() {
			return -1, m.name + " is not running"
		}
		st, err := m.status(ctx, 2*time.Second)
		if err != nil {
			return -1, fmt.Sprintf("%s: %v", m.name, err)
		}
		if st.Fleet.Leader == "" || (leader != "" && st.Fleet.Leader != leader) {
			return -1, fmt.Sprintf("%s names leader %q, others %q", m.name, st.Fleet.Leader, leader)
		}
		leader = st.Fleet.Leader
		if st.Fleet.Leading {
			if len(st.Fleet.Members) != len(f.members) || len(st.Fleet.Views) != len(f.members) {
				return -1, fmt.Sprintf("leader %s lists %d members and %d views", m.name, len(st.Fleet.Members), len(st.Fleet.Views))
			}
			lead = i
		}
		e, err := m.endpoint(ctx, 2*time.Second)
		if err != nil {
			return -1, fmt.Sprintf("%s endpoint: %v", m.name, err)
		}
		if i > 0 && (e.Cluster != ep.Cluster || e.Epoch != ep.Epoch) {
			return -1, fmt.Sprintf("%s routes to %s at epoch %d, %s to %s at %d", m.name, e.Cluster, e.Epoch, f.members[0].name, ep.Cluster, ep.Epoch)
		}
		ep = e
	}
	if lead < 0 || f.members[lead].name != leader {
		return -1, fmt.Sprintf("no member says it leads (named: %q)", leader)
	}
	return lead, ""
}

// others are the indexes of the members other than i.
func (f *fleetBed) others(i int) []int {
	var out []int
	for j := range f.members {
		if j != i {
			out = append(out, j)
		}
	}
	return out
}

// logs is the tail of every member's output, for an error.
func (f *fleetBed) logs(n int) string {
	var b strings.Builder
	for _, m := range f.members {
		if m.proc != nil {
			fmt.Fprintf(&b, "--- %s (last %d lines):\n%s\n", m.name, n, m.proc.Log(n))
		}
	}
	return b.String()
}

// stop ends every member that still runs.
func (f *fleetBed) stop() {
	for _, m := range f.members {
		if m.live() {
			m.proc.Stop()
		}
	}
}
