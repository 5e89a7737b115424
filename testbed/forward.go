package testbed

import (
	"fmt"
	"syscall"
	"time"
)

// Forward records the detached forwarder process the `testbed` command runs in front of
// every HTTP port of a cluster (`testbed forward`). Signals to the nodes can kill or hang
// them, but a network partition is something else: the nodes keep running and serve
// everybody else, while the clients on the far side get no answer at all. Clients that
// use the forwarder's URLs instead of the nodes' can be cut off that way (`testbed
// partition`: netfault's Blackhole) and reconnected (`testbed heal`). The process is
// started by cmd/testbed, which also speaks its control API; the record lives here so
// that the state file keeps it with its cluster and `testbed down` stops it.
type Forward struct {
	PID int `json:"pid"`
	// Control is the host:port of the process's control API (GET and PUT /mode).
	Control string `json:"control"`
	// URLs are the forwarded addresses, one per node, in the nodes' order.
	URLs []string `json:"urls"`
	Log  string   `json:"log"`
}

// ForwardStatus is the forwarder of a cluster as `testbed status` shows it.
type ForwardStatus struct {
	URLs  []string `json:"urls"`
	PID   int      `json:"pid"`
	State State    `json:"state"`
	// Mode is "pass" or "blackhole" as the forwarder answers (filled in by the command);
	// empty when it did not answer.
	Mode string `json:"mode,omitempty"`
}

// forwardStopWait bounds how long StopForward waits after SIGTERM before SIGKILL.
const forwardStopWait = 5 * time.Second

// ForwardState is the state of the cluster's forwarder process: Stopped when there is
// none. The process is told apart from a recycled pid by the cluster folder on its
// command line, as nodes are by theirs.
func (c *Cluster) ForwardState() State {
	if c.Forward == nil {
		return Stopped
	}
	return procState(c.Forward.PID, c.Dir)
}

// StopForward stops the cluster's forwarder (SIGTERM, then SIGKILL) and forgets it.
// With no forwarder, or one already gone, it only forgets it.
func (c *Cluster) StopForward() error {
	if c.Forward == nil {
		return nil
	}
	if c.ForwardState() != Stopped {
		pid := c.Forward.PID
		_ = syscall.Kill(pid, syscall.SIGCONT) // a stopped process cannot handle SIGTERM
		if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
			return fmt.Errorf("testbed: cluster %s: stop forwarder pid %d: %w", c.Name, pid, err)
		}
		if !c.waitForwardStopped(forwardStopWait) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			if !c.waitForwardStopped(forwardStopWait) {
				return fmt.Errorf("testbed: cluster %s: forwarder pid %d still alive after SIGKILL", c.Name, pid)
			}
		}
	}
	c.Forward = nil
	return nil
}

func (c *Cluster) waitForwardStopped(timeout time.Duration) bool {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c.ForwardState() == Stopped {
			return true
		}
	}
	return false
}

// forwardStatus is the forwarder's part of Status; nil without one.
func (c *Cluster) forwardStatus() *ForwardStatus {
	if c.Forward == nil {
		return nil
	}
	s := &ForwardStatus{URLs: c.Forward.URLs, PID: c.Forward.PID, State: c.ForwardState()}
	if s.State == Stopped {
		s.PID = 0
	}
	return s
}
