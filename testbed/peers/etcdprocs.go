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
// outside any test, for benchmarks and fault campaigns: errors are returned instead of
// failing a test, and the caller stops it. Single members can be killed, hung and
// restarted (etcdprocs_faults.go). Tests use StartEtcdCluster.
type EtcdProcs struct {
	bin, dir string
	initial  string // --initial-cluster
	token    string // --initial-cluster-token
	members  []*procMember
}

// procMember is one member's fixed identity, kept across restarts, and its process.
type procMember struct {
	name, client, peer string
	proc               *Proc // nil while killed
	paused             bool
	runs               int // starts so far: each run logs to its own file
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
	e := &EtcdProcs{bin: bin, dir: dir}
	var initial []string
	for i := range n {
		client, err := freePort()
		if err != nil {
			return nil, err
		}
		peer, err := freePort()
		if err != nil {
			return nil, err
		}
		m := &procMember{name: fmt.Sprintf("m%d", i), client: url(client), peer: url(peer)}
		e.members = append(e.members, m)
		initial = append(initial, m.name+"="+m.peer)
	}
	e.initial = strings.Join(initial, ",")
	// A token unique to these ports, so that members of an old cluster on reused ports
	// never join this one.
	e.token = "esdr-bench-" + strings.TrimPrefix(e.members[0].client, "http://127.0.0.1:")
	for _, m := range e.members {
		if err := e.launch(m, "new"); err != nil {
			e.Stop()
			return nil, err
		}
	}
	if err := e.waitHealthy(e.members...); err != nil {
		e.Stop()
		return nil, err
	}
	return e, nil
}

// launch starts member m's process, with state "new" the first time and "existing" on a
// restart (etcd then reads its membership from the kept data dir).
func (e *EtcdProcs) launch(m *procMember, state string) error {
	m.runs++
	p, err := launch(e.dir, fmt.Sprintf("etcd-%s.run%d", m.name, m.runs), e.bin,
		"--name", m.name, "--data-dir", filepath.Join(e.dir, "etcd-"+m.name),
		"--listen-client-urls", m.client, "--advertise-client-urls", m.client,
		"--listen-peer-urls", m.peer, "--initial-advertise-peer-urls", m.peer,
		"--initial-cluster", e.initial, "--initial-cluster-token", e.token,
		"--initial-cluster-state", state)
	if err != nil {
		return err
	}
	m.proc, m.paused = p, false
	return nil
}

// waitHealthy waits until each of ms answers /health 200.
func (e *EtcdProcs) waitHealthy(ms ...*procMember) error {
	for _, m := range ms {
		if err := pollHTTP("etcd member "+m.name, m.client+"/health", memberStartWithin); err != nil {
			log := ""
			if m.proc != nil {
				log = m.proc.Log()
			}
			return fmt.Errorf("%w; its log:\n%s", err, log)
		}
	}
	return nil
}

// memberStartWithin bounds how long a member may take to answer /health: generous, as
// the machine may be starting JVM clusters at the same time.
const memberStartWithin = 90 * time.Second

// Endpoints returns every member's client URL, killed ones included: a client given all
// of them fails over between members as a real deployment's would.
func (e *EtcdProcs) Endpoints() []string {
	eps := make([]string, len(e.members))
	for i, m := range e.members {
		eps[i] = m.client
	}
	return eps
}

// Stop kills every member (a paused one too: SIGKILL needs no SIGCONT) and waits for it;
// the data dirs stay under the caller's dir.
func (e *EtcdProcs) Stop() {
	for _, m := range e.members {
		if m.proc != nil {
			m.proc.Stop()
			m.proc = nil
		}
	}
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
