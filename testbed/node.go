package testbed

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// State is what a node's process is doing.
type State string

// The states of a node's process.
const (
	Running State = "running" // alive (it may not have joined its cluster yet)
	Paused  State = "paused"  // stopped by SIGSTOP: a hang
	Stopped State = "stopped" // no process: killed, stopped, crashed or never started
)

// stopWait bounds how long Kill waits for the process to be gone.
const stopWait = 15 * time.Second

// Node is one node of a test-bed cluster: one JVM in its own process group, its data in
// Dir and its output in LogPath. Its methods are safe for concurrent use.
type Node struct {
	Name          string
	HTTPPort      int
	TransportPort int
	Dir           string // the runner's base path; the data is in Dir/node_1/data
	LogPath       string

	command  []string // java and its arguments
	detached bool

	mu   sync.Mutex
	pid  int
	done chan struct{} // closed once the process we started has been reaped
}

// URL is the node's HTTP address.
func (n *Node) URL() string { return fmt.Sprintf("http://127.0.0.1:%d", n.HTTPPort) }

// PID is the process id of the node's last start, or 0.
func (n *Node) PID() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.pid
}

// State reads the node's process state from /proc.
func (n *Node) State() State { return procState(n.PID(), n.Dir) }

// Start starts the node's process on its existing data (a fresh node if there is none).
// It does not wait for the node to join; see Cluster.WaitFormed.
func (n *Node) Start() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if procState(n.pid, n.Dir) != Stopped {
		return fmt.Errorf("testbed: node %s: already running as pid %d", n.Name, n.pid)
	}
	for _, p := range []int{n.HTTPPort, n.TransportPort} {
		if err := checkPortFree(p); err != nil {
			return fmt.Errorf("testbed: node %s: %w", n.Name, err)
		}
	}
	if err := os.MkdirAll(n.Dir, 0o755); err != nil {
		return fmt.Errorf("testbed: node %s: %w", n.Name, err)
	}
	logf, err := os.OpenFile(n.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("testbed: node %s: log: %w", n.Name, err)
	}
	defer logf.Close() // the child has its own copy
	fmt.Fprintf(logf, "=== testbed: starting %s at %s\n", n.Name, time.Now().Format(time.RFC3339))

	cmd := exec.Command(n.command[0], n.command[1:]...)
	cmd.Dir = n.Dir
	cmd.Stdout, cmd.Stderr = logf, logf
	if n.detached {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	} else {
		// Its own group, so a signal reaches everything the JVM started; and killed
		// when the test binary dies, whatever the way.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("testbed: node %s: start %s: %w", n.Name, n.command[0], err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait() // reap; the exit status is in the log
		close(done)
	}()
	n.pid, n.done = cmd.Process.Pid, done
	return nil
}

// Kill sends SIGKILL (a crash) to the node's process group and waits until it is gone.
// Killing a stopped node does nothing.
func (n *Node) Kill() error {
	if n.State() == Stopped {
		return nil
	}
	if err := n.signal(syscall.SIGKILL); err != nil {
		return err
	}
	return n.waitStopped(stopWait)
}

// Stop asks the node to shut down (SIGTERM) and kills it if it is not gone in timeout.
func (n *Node) Stop(timeout time.Duration) error {
	if n.State() == Stopped {
		return nil
	}
	_ = n.signal(syscall.SIGCONT) // a paused JVM cannot run its shutdown hook
	if err := n.signal(syscall.SIGTERM); err != nil {
		return err
	}
	if n.waitStopped(timeout) == nil {
		return nil
	}
	return n.Kill()
}

// Pause sends SIGSTOP and waits until the process is stopped: the node hangs, its
// sockets stay open.
func (n *Node) Pause() error {
	if err := n.signal(syscall.SIGSTOP); err != nil {
		return err
	}
	return n.waitState(Paused)
}

// Resume sends SIGCONT to a paused node and waits until it runs again.
func (n *Node) Resume() error {
	if err := n.signal(syscall.SIGCONT); err != nil {
		return err
	}
	return n.waitState(Running)
}

// waitState waits (briefly: signals are delivered at once) until the process is in s.
func (n *Node) waitState(s State) error {
	for range 200 {
		if n.State() == s {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("testbed: node %s: is %s, want %s", n.Name, n.State(), s)
}

// Wipe deletes the node's data. The node must be stopped.
func (n *Node) Wipe() error {
	if s := n.State(); s != Stopped {
		return fmt.Errorf("testbed: node %s: wipe: node is %s", n.Name, s)
	}
	if err := os.RemoveAll(n.Dir); err != nil {
		return fmt.Errorf("testbed: node %s: wipe: %w", n.Name, err)
	}
	return nil
}

func (n *Node) signal(sig syscall.Signal) error {
	pid := n.PID()
	if procState(pid, n.Dir) == Stopped {
		return fmt.Errorf("testbed: node %s: %v: not running", n.Name, sig)
	}
	if err := syscall.Kill(-pid, sig); err != nil {
		return fmt.Errorf("testbed: node %s: %v: %w", n.Name, sig, err)
	}
	return nil
}

// waitStopped waits until the process is gone (reaped, or a zombie of another parent).
func (n *Node) waitStopped(timeout time.Duration) error {
	n.mu.Lock()
	done := n.done
	n.mu.Unlock()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if done != nil {
			select {
			case <-done:
				return nil
			case <-time.After(50 * time.Millisecond):
			}
		} else if n.State() == Stopped {
			return nil
		} else {
			time.Sleep(50 * time.Millisecond)
		}
	}
	return fmt.Errorf("testbed: node %s: still alive %v after the signal", n.Name, timeout)
}

// LogTail returns the last lines of the node's log.
func (n *Node) LogTail(lines int) string {
	f, err := os.Open(n.LogPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	defer f.Close()
	const window = 64 << 10
	buf := make([]byte, window)
	off := int64(0)
	if st, err := f.Stat(); err == nil && st.Size() > window {
		off = st.Size() - window
	}
	k, _ := f.ReadAt(buf, off)
	all := bytes.Split(bytes.TrimRight(buf[:k], "\n"), []byte("\n"))
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return string(bytes.Join(all, []byte("\n")))
}
