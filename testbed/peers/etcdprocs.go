package peers

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// EtcdProcs is a multi-member etcd (Debian's etcd-server, one process per member) started
// outside any test, for benchmarks and drills: errors are returned instead of failing a
// test, and the caller stops it. Tests use StartEtcdCluster, which can also crash and
// restart single members.
type EtcdProcs struct {
	endpoints []string
	procs     []*Proc
}

// LaunchEtcdProcs starts an n-member etcd on free loopback ports, each member's data and
// log under dir, and returns once every member answers /health (a leader and a quorum).
func LaunchEtcdProcs(dir string, n int) (*EtcdProcs, error) {
	if n < 1 {
		return nil, fmt.Errorf("peers: etcd cluster of %d members", n)
	}
	bin, err := etcdBinary()
	if err != nil {
		return nil, err
	}
	var names, clients, peers, initial []string
	for i := range n {
		client, err := freePort()
		if err != nil {
			return nil, err
		}
		peer, err := freePort()
		if err != nil {
			return nil, err
		}
		names = append(names, fmt.Sprintf("m%d", i))
		clients, peers = append(clients, url(client)), append(peers, url(peer))
		initial = append(initial, names[i]+"="+url(peer))
	}
	// A token unique to these ports, so that members of an old cluster on reused ports
	// never join this one.
	token := "esdr-bench-" + strings.TrimPrefix(clients[0], "http://127.0.0.1:")
	e := &EtcdProcs{endpoints: clients}
	for i, name := range names {
		p, err := launch(dir, "etcd-"+name, bin,
			"--name", name, "--data-dir", filepath.Join(dir, "etcd-"+name),
			"--listen-client-urls", clients[i], "--advertise-client-urls", clients[i],
			"--listen-peer-urls", peers[i], "--initial-advertise-peer-urls", peers[i],
			"--initial-cluster", strings.Join(initial, ","), "--initial-cluster-token", token,
			"--initial-cluster-state", "new")
		if err != nil {
			e.Stop()
			return nil, err
		}
		e.procs = append(e.procs, p)
	}
	for i, client := range clients {
		if err := pollHTTP("etcd member "+names[i], client+"/health", memberStartWithin); err != nil {
			log := e.procs[i].Log()
			e.Stop()
			return nil, fmt.Errorf("%w; its log:\n%s", err, log)
		}
	}
	return e, nil
}

// memberStartWithin bounds how long a member may take to answer /health: generous, as
// the machine may be starting JVM clusters at the same time.
const memberStartWithin = 90 * time.Second

// Endpoints returns every member's client URL.
func (e *EtcdProcs) Endpoints() []string { return append([]string(nil), e.endpoints...) }

// Stop kills every member and waits for it; the data dirs stay under the caller's dir.
func (e *EtcdProcs) Stop() {
	for _, p := range e.procs {
		p.Stop()
	}
	e.procs = nil
}

// etcdBinary finds etcd on $PATH or in /usr/sbin.
func etcdBinary() (string, error) {
	if bin, err := exec.LookPath("etcd"); err == nil {
		return bin, nil
	}
	bin := filepath.Join("/usr/sbin", "etcd")
	if _, err := os.Stat(bin); err != nil {
		return "", errors.New("peers: etcd not found; run scripts/install.sh")
	}
	return bin, nil
}
