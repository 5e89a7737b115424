// Package peers starts the real systems esdr's traffic targets talk to — etcd, HAProxy,
// moto (Route 53, CloudWatch, Elastic Load Balancing), BIND — as child processes on free loopback ports, for tests. Each start
// registers a cleanup that stops the process and, when the test failed, logs its output.
package peers

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/esdr/esdr/testbed/child"
	"github.com/esdr/esdr/testbed/poll"
)

// FreePort returns a loopback port nothing listens on right now, over TCP or UDP (a DNS
// server listens on both).
func FreePort(t testing.TB) int {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

func freePort() (int, error) {
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("peers: free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		l.Close()
		if err == nil {
			u.Close()
			return port, nil
		}
	}
	return 0, fmt.Errorf("peers: no loopback port free for both TCP and UDP")
}

// Start runs bin with args, its output in dir/name.log, stopped by t.Cleanup, which also
// logs the output's tail when the test failed.
func Start(t testing.TB, dir, name, bin string, args ...string) {
	t.Helper()
	p, err := launch(dir, name, bin, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("%s log:\n%s", name, p.Log())
		}
	})
}

// Proc is a peer process started outside any one test, e.g. shared by a package's tests
// and stopped from its TestMain.
type Proc struct {
	c       *child.Proc
	logf    *os.File
	tempDir string // removed by Stop, when the Proc made it
}

// launch runs bin with args, its output in dir/name.log as well as kept for Log.
func launch(dir, name, bin string, args ...string) (*Proc, error) {
	logf, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, fmt.Errorf("peers: %s: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = logf
	c, err := child.Start(cmd, child.Options{})
	if err != nil {
		logf.Close()
		return nil, fmt.Errorf("peers: %s: %w", name, err)
	}
	return &Proc{c: c, logf: logf}, nil
}

// Stop kills the process, as a crash would (a peer's clean shutdown is not under test),
// and waits for it.
func (p *Proc) Stop() {
	p.c.Kill()
	_ = p.logf.Close()
	if p.tempDir != "" {
		_ = os.RemoveAll(p.tempDir)
	}
}

// Pause sends SIGSTOP and waits until the kernel reports the process stopped: it then hangs
// with its sockets open, which a kill cannot show (peers see silence, not a reset).
func (p *Proc) Pause() error { return p.signal(syscall.SIGSTOP, true) }

// Resume sends SIGCONT to a paused process and waits until it runs again.
func (p *Proc) Resume() error { return p.signal(syscall.SIGCONT, false) }

// signal sends sig and waits (briefly: signals are delivered at once) until the process is
// stopped or not, as wantStopped says.
func (p *Proc) signal(sig syscall.Signal, wantStopped bool) error {
	pid := p.c.Pid()
	if err := p.c.Signal(sig); err != nil {
		return fmt.Errorf("peers: %w", err)
	}
	// Signals are delivered at once; the bound only catches a process that ignores them.
	return poll.Until(context.Background(), 2*time.Second, fmt.Sprintf("pid %d stopped=%t after %v", pid, wantStopped, sig),
		func() bool { return procStopped(pid) == wantStopped })
}

// procStopped reports whether /proc says pid is stopped by a signal (state T).
func procStopped(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// "pid (comm) S ...": comm may hold spaces and parentheses, the state follows the last ')'.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && strings.HasPrefix(s[i+1:], " T")
}

// Log returns the tail of the process's output.
func (p *Proc) Log() string { return tail(p.c.Output(), 4000) }

// Need finds a binary on $PATH or in /usr/sbin (named's home, often off a user's PATH),
// skips the test under -short, or fails it with what to do.
func Need(t testing.TB, name string) string {
	t.Helper()
	if testing.Short() {
		t.Skipf("needs a real %s; skipped under -short", name)
	}
	if bin, err := exec.LookPath(name); err == nil {
		return bin
	}
	bin := filepath.Join("/usr/sbin", name)
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s not found; run scripts/install.sh", name)
	}
	return bin
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func url(port int) string { return fmt.Sprintf("http://127.0.0.1:%d", port) }
