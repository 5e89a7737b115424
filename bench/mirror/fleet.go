package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/esdr/esdr/testbed/esdrproc"
	"github.com/esdr/esdr/testbed/peers"
)

// targetFleet is mirror on in a fleet of three members over a three-member etcd: each
// journals what its own proxy took and replays it itself, with versions, and reports what
// it owes in etcd; the load is spread over the three proxies.
const targetFleet = "esdr fleet of 3, mirror on"

// mirrorFleet is the three members and their etcd.
type mirrorFleet struct {
	etcd    *peers.EtcdProcs
	members []*esdrBed
}

// startMirrorFleet starts etcd and three esdr members with mirror on, each with a journal
// of its own under dir.
func startMirrorFleet(ctx context.Context, bin, dir string, primary, standby []string, proxyKeys string) (*mirrorFleet, error) {
	etcd, err := peers.LaunchEtcdProcs(dir, 3)
	if err != nil {
		return nil, err
	}
	f := &mirrorFleet{etcd: etcd}
	// All three first: a member finds the clusters up only once a quorum of members (2)
	// has published its views.
	for _, zone := range []string{"a", "b", "c"} {
		mdir := filepath.Join(dir, "esdr-fleet-"+zone)
		adminAddr, proxyAddr, err := esdrproc.Addrs()
		if err != nil {
			f.stop()
			return nil, err
		}
		fleet := fmt.Sprintf("fleet:\n  name: esdr-%s\n  vantage: zone-%s\n  etcd:\n    endpoints: [%s]\n    prefix: /esdr-bench-mirror/\n  quorum: 2\n",
			zone, zone, strings.Join(etcd.Endpoints(), ", "))
		cfg := esdrConfigWith(primary, standby, adminAddr, proxyAddr, journalDir(mdir), proxyKeys, fleet)
		p, err := esdrproc.Start(ctx, bin, mdir, adminAddr, cfg)
		if err != nil {
			f.stop()
			return nil, fmt.Errorf("fleet member esdr-%s: %w", zone, err)
		}
		f.members = append(f.members, &esdrBed{proc: p, proxyURL: "http://" + proxyAddr, adminURL: "http://" + adminAddr, config: cfg})
	}
	for i, m := range f.members {
		if err := m.proc.WaitUp(ctx, 2*time.Minute, "primary", "standby"); err != nil {
			f.stop()
			return nil, fmt.Errorf("fleet member %d: %w", i, err)
		}
	}
	return f, nil
}

func (f *mirrorFleet) stop() {
	for _, m := range f.members {
		m.proc.Stop()
	}
	f.etcd.Stop()
}

func (f *mirrorFleet) proxyURLs() []string {
	out := make([]string, len(f.members))
	for i, m := range f.members {
		out[i] = m.proxyURL
	}
	return out
}

func (f *mirrorFleet) adminURLs() []string {
	out := make([]string, len(f.members))
	for i, m := range f.members {
		out[i] = m.adminURL
	}
	return out
}
