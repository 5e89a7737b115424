package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/esdr/esdr/testbed/esdrproc"
)

// Fleet timings: as the e2e fleet tests use, in production's proportions.
const (
	fleetTTL        = 3 * time.Second // session TTL: how long a dead leader holds on
	fleetStaleAfter = 3 * time.Second // how long a member's proxy routes without etcd
)

// member is one esdr process of a run, with its proxy. The embedded topology is a fleet
// of one member; the fleet topology runs three over the bed's etcd.
type member struct {
	name         string
	slot         int    // index into the bed's forwarders
	dir, cfg     string // its folder, and its configuration file's path (which names its process)
	yaml         string // the configuration, for a restart
	admin, proxy string

	mu   sync.Mutex
	proc *esdrproc.Proc // replaced when the member is restarted
}

func (m *member) current() *esdrproc.Proc {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.proc
}

func (m *member) start(ctx context.Context, bin string) error {
	p, err := esdrproc.Start(ctx, bin, m.dir, m.admin, m.yaml)
	if err != nil {
		return fmt.Errorf("chaos: start esdr %s: %w", m.name, err)
	}
	m.mu.Lock()
	m.proc = p
	m.mu.Unlock()
	return nil
}

// newMembers lays out a run's esdr processes (starting none): one in the embedded
// topology, three named esdr-a, -b, -c in zones a, b, c with quorum 2 in a fleet, whose
// state lives in etcd under a prefix of the run's own. Each points an rfc2136 target (the
// run's record on the bed's named) and, in a fleet, an etcd key target at the active
// cluster: the following clients read them.
func (b *bed) newMembers(seed int64, cfg runConfig) ([]*member, error) {
	n := 1
	if b.etcd != nil {
		n = 3
	}
	var ms []*member
	for i := range n {
		m := &member{name: "esdr", slot: i}
		if b.etcd != nil {
			m.name = "esdr-" + string(rune('a'+i))
		}
		m.dir = filepath.Join(b.runDir(seed), m.name)
		m.cfg = filepath.Join(m.dir, "esdr.yaml")
		var err error
		if m.admin, err = esdrproc.FreeAddr(); err == nil {
			m.proxy, err = esdrproc.FreeAddr()
		}
		if err != nil {
			return nil, fmt.Errorf("chaos: ports: %w", err)
		}
		pair := esdrproc.Pair{
			Primary: b.fwd[i][0].URLs(), Standby: b.fwd[i][1].URLs(), Interval: cfg.interval,
			HoldDown: cfg.holdDown, AdminAddr: m.admin, ProxyAddr: m.proxy, LogLevel: "debug",
		}
		pair.Extra = "targets:\n" + rfc2136Block(b.named.Addr, seed)
		if b.etcd != nil {
			pair.Extra = fleetBlock(m.name, b.etcd.Endpoints(), seed) + pair.Extra + etcdKeyBlock(b.etcd.Endpoints(), seed)
		}
		if cfg.mirror {
			// A journal small enough for the disk-full family's tmpfs.
			pair.Extra += "mirror:\n  enabled: true\n  max_bytes: 16777216\n  segment_bytes: 4194304\n  max_body: 1048576\n"
		}
		m.yaml = pair.YAML()
		ms = append(ms, m)
	}
	return ms, nil
}

// fleetBlock is a fleet member's configuration beyond the pair's.
func fleetBlock(name string, etcd []string, seed int64) string {
	return fmt.Sprintf(`fleet:
  name: %s
  vantage: zone-%s
  etcd:
    endpoints: [%s]
    prefix: /esdr/chaos-%d/
  session_ttl: %s
  quorum: 2
  stale_after: %s
`, name, strings.TrimPrefix(name, "esdr-"), strings.Join(etcd, ", "), seed, fleetTTL, fleetStaleAfter)
}

// etcdKeyBlock is a fleet's etcd key target, under targets:.
func etcdKeyBlock(etcd []string, seed int64) string {
	return fmt.Sprintf("  etcd:\n    - endpoints: [%s]\n      key: %s\n", strings.Join(etcd, ", "), activeKey(seed))
}

// activeKey is the etcd key a fleet run's esdr points at the active cluster.
func activeKey(seed int64) string { return fmt.Sprintf("/chaos-%d/active", seed) }

// leader returns the member that says it leads (the only one, in the embedded topology).
func leader(ctx context.Context, ms []*member) (*member, error) {
	if len(ms) == 1 {
		return ms[0], nil
	}
	for _, m := range ms {
		var st statusWire
		if err := adminGet(ctx, m.admin, "/v1/status", &st); err == nil && st.Fleet != nil && st.Fleet.Leading {
			return m, nil
		}
	}
	return nil, errors.New("chaos: no esdr member says it leads")
}

// waitLeader waits until a member leads.
func waitLeader(ctx context.Context, ms []*member, within time.Duration) (*member, error) {
	deadline := time.Now().Add(within)
	for {
		m, err := leader(ctx, ms)
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return m, err
		}
		sleep(ctx, 200*time.Millisecond)
	}
}

// anyLive is a member whose admin API answers, for reads of the shared state.
func anyLive(ctx context.Context, ms []*member) *member {
	for _, m := range ms {
		var st statusWire
		if adminGet(ctx, m.admin, "/v1/status", &st) == nil {
			return m
		}
	}
	return ms[0]
}
