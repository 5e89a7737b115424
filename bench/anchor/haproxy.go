// Package anchor runs HAProxy, the benchmarks' point of comparison, as a foreground child
// process with a configuration the benchmark writes.
package anchor

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// HAProxy is a running HAProxy in the foreground (-db), a child of this process.
type HAProxy struct {
	cmd  *exec.Cmd
	out  bytes.Buffer
	done chan struct{}
}

// Start writes cfg to dir/haproxy.cfg, checks it, starts HAProxy and waits until
// it accepts connections on listen.
func Start(ctx context.Context, dir, cfg, listen string) (*HAProxy, error) {
	path := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	if out, err := exec.CommandContext(ctx, "haproxy", "-c", "-q", "-f", path).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("haproxy -c %s: %w: %s", path, err, out)
	}
	h := &HAProxy{cmd: exec.Command("haproxy", "-db", "-f", path), done: make(chan struct{})}
	h.cmd.Stdout, h.cmd.Stderr = &h.out, &h.out
	h.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := h.cmd.Start(); err != nil {
		return nil, fmt.Errorf("haproxy: %w", err)
	}
	go func() { _ = h.cmd.Wait(); close(h.done) }()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.DialTimeout("tcp", listen, 200*time.Millisecond); err == nil {
			c.Close()
			return h, nil
		}
		select {
		case <-h.done:
			return nil, fmt.Errorf("haproxy exited: %s", strings.TrimSpace(h.out.String()))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			h.Stop()
			return nil, fmt.Errorf("haproxy: not listening on %s after 10s", listen)
		}
	}
}

// PID is the HAProxy process id, for memory sampling.
func (h *HAProxy) PID() int { return h.cmd.Process.Pid }

// Stop terminates HAProxy and waits for it.
func (h *HAProxy) Stop() {
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.done:
	case <-time.After(5 * time.Second):
		_ = h.cmd.Process.Kill()
		<-h.done
	}
}

// Version is the installed HAProxy's version, such as 2.6.12-1+deb12u4.
func Version() string {
	out, err := exec.Command("haproxy", "-v").Output()
	if f := strings.Fields(string(out)); err == nil && len(f) >= 3 {
		return f[2]
	}
	return "(unknown version)"
}
