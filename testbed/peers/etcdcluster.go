package peers

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esdr/esdr/testbed/poll"
)

// memberWithin bounds how long a started member may take to answer /health: generous,
// because a member needs a quorum and the machine may be running JVM clusters too.
const memberWithin = 90 * time.Second

// EtcdCluster is a real multi-member etcd, one process per member, so that a test can
// crash (SIGKILL), hang (SIGSTOP) and restart members one at a time — what esdr's fleet
// must survive and what an in-process embedded etcd cannot show. Its methods fail the test
// on error; call them from the test's goroutine.
type EtcdCluster struct {
	t       testing.TB
	bin     string
	dir     string
	initial string // --initial-cluster: every member's name=peer URL
	token   string // --initial-cluster-token, unique so clusters on reused ports never merge

	mu      sync.Mutex
	members []*etcdMember
}

// etcdMember is one member's fixed identity (name, ports, data dir kept across restarts)
// and its current or last process.
type etcdMember struct {
	name, client, peer, data string
	proc                     *Proc // nil before the first start
	running, paused          bool
	runs                     int // starts so far, so each run logs to its own file
}

// StartEtcdCluster starts an n-member etcd (Debian's etcd-server) on free loopback ports and
// returns once every member answers /health, i.e. the cluster has a leader and a quorum.
// t.Cleanup kills every member and, when the test failed, logs each member's output.
func StartEtcdCluster(t testing.TB, n int) *EtcdCluster {
	t.Helper()
	if n < 1 {
		t.Fatalf("peers: etcd cluster of %d members", n)
	}
	c := &EtcdCluster{t: t, bin: Need(t, "etcd"), dir: t.TempDir()}
	var initial []string
	for i := range n {
		m := &etcdMember{name: fmt.Sprintf("m%d", i), client: url(FreePort(t)), peer: url(FreePort(t))}
		m.data = filepath.Join(c.dir, m.name)
		c.members = append(c.members, m)
		initial = append(initial, m.name+"="+m.peer)
	}
	c.initial = strings.Join(initial, ",")
	c.token = "esdr-test-" + strings.TrimPrefix(c.members[0].client, "http://127.0.0.1:")
	t.Cleanup(c.cleanup)
	for _, m := range c.members {
		c.launch(m, "new")
	}
	c.waitHealthy(c.members...)
	return c
}

// Endpoints returns every member's client URL, stopped ones included: a client given all
// of them fails over between members as a real deployment's would.
func (c *EtcdCluster) Endpoints() []string {
	eps := make([]string, len(c.members))
	for i, m := range c.members {
		eps[i] = m.client
	}
	return eps
}

// Stop kills member i with SIGKILL (a crash: no goodbye to its peers) and keeps its data
// dir for Start.
func (c *EtcdCluster) Stop(i int) {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.member(i)
	if !m.running {
		c.t.Fatalf("peers: etcd member %s: stop: not running", m.name)
	}
	m.proc.Stop()
	m.running, m.paused = false, false
}

// Start restarts stopped member i on its old data dir and waits until it has rejoined:
// its /health answers true only once it follows a leader and serves a quorum read.
func (c *EtcdCluster) Start(i int) {
	c.t.Helper()
	m := c.startStopped(i)
	c.waitHealthy(m)
}

// StopAll kills every running member: etcd is gone, as in a total outage.
func (c *EtcdCluster) StopAll() {
	c.t.Helper()
	for i, m := range c.members {
		if m.running {
			c.Stop(i)
		}
	}
}

// StartAll restarts every stopped member and waits until all of them are healthy, i.e.
// the quorum is back and a leader elected.
func (c *EtcdCluster) StartAll() {
	c.t.Helper()
	var started []*etcdMember
	for i, m := range c.members {
		if !m.running {
			started = append(started, c.startStopped(i))
		}
	}
	c.waitHealthy(started...)
}

// Pause freezes member i with SIGSTOP: its sockets stay open but it answers nothing, like
// a hung host or a long GC pause, which peers detect only by timeouts.
func (c *EtcdCluster) Pause(i int) {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.member(i)
	if !m.running || m.paused {
		c.t.Fatalf("peers: etcd member %s: pause: not running", m.name)
	}
	if err := m.proc.Pause(); err != nil {
		c.t.Fatal(err)
	}
	m.paused = true
}

// Resume lets paused member i run again. It does not wait for health: a resumed member
// may find itself behind or without a leader, which is what a test of a pause looks at.
func (c *EtcdCluster) Resume(i int) {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.member(i)
	if !m.paused {
		c.t.Fatalf("peers: etcd member %s: resume: not paused", m.name)
	}
	if err := m.proc.Resume(); err != nil {
		c.t.Fatal(err)
	}
	m.paused = false
}

// startStopped launches stopped member i with --initial-cluster-state existing (etcd
// reads its membership from the kept data dir) without waiting for it.
func (c *EtcdCluster) startStopped(i int) *etcdMember {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.member(i)
	if m.running {
		c.t.Fatalf("peers: etcd member %s: start: already running", m.name)
	}
	c.launch(m, "existing")
	return m
}

// launch runs member m's process; the caller holds c.mu or owns c alone.
func (c *EtcdCluster) launch(m *etcdMember, state string) {
	c.t.Helper()
	m.runs++
	p, err := launch(c.dir, fmt.Sprintf("%s.run%d", m.name, m.runs), c.bin,
		"--name", m.name, "--data-dir", m.data,
		"--listen-client-urls", m.client, "--advertise-client-urls", m.client,
		"--listen-peer-urls", m.peer, "--initial-advertise-peer-urls", m.peer,
		"--initial-cluster", c.initial, "--initial-cluster-token", c.token,
		"--initial-cluster-state", state)
	if err != nil {
		c.t.Fatal(err)
	}
	m.proc, m.running = p, true
}

// member returns member i or fails the test.
func (c *EtcdCluster) member(i int) *etcdMember {
	c.t.Helper()
	if i < 0 || i >= len(c.members) {
		c.t.Fatalf("peers: etcd member %d of %d", i, len(c.members))
	}
	return c.members[i]
}

// waitHealthy waits until every one of ms answers /health with "health":"true". etcd
// answers that only with a leader and after a linearizable read, so it means quorum.
func (c *EtcdCluster) waitHealthy(ms ...*etcdMember) {
	c.t.Helper()
	hc := http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(memberWithin)
	for _, m := range ms {
		poll.Eventually(c.t, fmt.Sprintf("etcd member %s at %s healthy", m.name, m.client), time.Until(deadline),
			func() bool { return healthy(&hc, m.client) }, func() string { return "its log:\n" + m.proc.Log() })
	}
}

// healthy reports whether the member at client answers /health 200 with "health":"true".
func healthy(hc *http.Client, client string) bool {
	resp, err := hc.Get(client + "/health")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode == http.StatusOK && strings.Contains(string(body), `"health":"true"`)
}

// cleanup kills every running member, a paused one too (SIGKILL needs no SIGCONT), and
// logs each member's last run when the test failed.
func (c *EtcdCluster) cleanup() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.members {
		if m.running {
			m.proc.Stop()
			m.running = false
		}
		if m.proc != nil && c.t.Failed() {
			c.t.Logf("etcd member %s (run %d) log:\n%s", m.name, m.runs, m.proc.Log())
		}
	}
}
