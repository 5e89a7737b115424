package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

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
	etcd, err := peers.LaunchEtcdProcs(filepath.Join(dir, "etcd"), 3)
	if err != nil {
		return nil, err
	}
	f := &mirrorFleet{etcd: etcd}
	for _, zone := range []string{"a", "b", "c"} {
		mdir := filepath.Join(dir, "esdr-fleet-"+zone)
		fleet := fmt.Sprintf("fleet:\n  name: esdr-%s\n  vantage: zone-%s\n  etcd:\n    endpoints: [%s]\n    prefix: /esdr-bench-mirror/\n  quorum: 2\n",
			zone, zone, strings.Join(etcd.Endpoints(), ", "))
		m, err := startEsdrWith(ctx, bin, mdir, primary, standby, journalDir(mdir), proxyKeys, fleet)
		if err != nil {
			f.stop()
			return nil, fmt.Errorf("fleet member esdr-%s: %w", zone, err)
		}
		f.members = append(f.members, m)
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
