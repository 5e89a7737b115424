package peers

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Faults of single members, for a campaign's nemesis. A member is named by its index.

// Kill kills member i with SIGKILL (a crash: no goodbye to its peers), keeping its data.
func (e *EtcdProcs) Kill(i int) error {
	m, err := e.member(i)
	if err != nil {
		return err
	}
	if m.proc == nil {
		return fmt.Errorf("peers: etcd member %s: kill: not running", m.name)
	}
	m.proc.Stop()
	m.proc, m.paused = nil, false
	return nil
}

// Pause hangs member i with SIGSTOP: its sockets stay open and it answers nothing.
func (e *EtcdProcs) Pause(i int) error {
	m, err := e.member(i)
	if err != nil {
		return err
	}
	if m.proc == nil || m.paused {
		return fmt.Errorf("peers: etcd member %s: pause: not running", m.name)
	}
	if err := m.proc.Pause(); err != nil {
		return err
	}
	m.paused = true
	return nil
}

// Heal resumes every paused member, restarts every killed one on its data, and waits
// until all answer /health: a leader and a quorum again, with every member caught up.
func (e *EtcdProcs) Heal() error {
	for _, m := range e.members {
		switch {
		case m.proc == nil:
			if err := e.launch(m, "existing"); err != nil {
				return err
			}
		case m.paused:
			if err := m.proc.Resume(); err != nil {
				return err
			}
			m.paused = false
		}
	}
	return e.waitHealthy(e.members...)
}

// Leader returns the index of the member that says it leads (etcd_server_is_leader 1 on
// its /metrics), asking each live member.
func (e *EtcdProcs) Leader(ctx context.Context) (int, error) {
	hc := http.Client{Timeout: 2 * time.Second}
	for i, m := range e.members {
		if m.proc == nil || m.paused {
			continue
		}
		if leads, err := isLeader(ctx, &hc, m.client); err == nil && leads {
			return i, nil
		}
	}
	return -1, fmt.Errorf("peers: no etcd member says it leads")
}

func isLeader(ctx context.Context, hc *http.Client, client string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, client+"/metrics", nil)
	if err != nil {
		return false, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "etcd_server_is_leader "); ok {
			return strings.TrimSpace(v) == "1", nil
		}
	}
	return false, fmt.Errorf("peers: %s/metrics: no etcd_server_is_leader: %v", client, sc.Err())
}

// Members is the number of members.
func (e *EtcdProcs) Members() int { return len(e.members) }

func (e *EtcdProcs) member(i int) (*procMember, error) {
	if i < 0 || i >= len(e.members) {
		return nil, fmt.Errorf("peers: etcd member %d of %d", i, len(e.members))
	}
	return e.members[i], nil
}
