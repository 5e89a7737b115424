package main

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

// haproxyConfig is the HAProxy the proxy benchmark compares with: one backend server,
// keep-alive on both sides and server connections reused across clients.
const haproxyConfig = `global
    maxconn 4096
defaults
    mode http
    option http-keep-alive
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 60s
frontend fe
    bind %s
    default_backend es
backend es
    http-reuse always
    server node1 %s
`

// haproxy is a running HAProxy in the foreground (-db), a child of this process.
type haproxy struct {
	cmd  *exec.Cmd
	out  bytes.Buffer
	done chan struct{}
}

// startHAProxy writes cfg to dir/haproxy.cfg, checks it, starts HAProxy and waits until
// it accepts connections on listen.
func startHAProxy(ctx context.Context, dir, cfg, listen string) (*haproxy, error) {
	path := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	if out, err := exec.CommandContext(ctx, "haproxy", "-c", "-q", "-f", path).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("haproxy -c %s: %w: %s", path, err, out)
	}
	h := &haproxy{cmd: exec.Command("haproxy", "-db", "-f", path), done: make(chan struct{})}
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
			h.stop()
			return nil, fmt.Errorf("haproxy: not listening on %s after 10s", listen)
		}
	}
}

func (h *haproxy) pid() int { return h.cmd.Process.Pid }

// stop terminates HAProxy and waits for it.
func (h *haproxy) stop() {
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.done:
	case <-time.After(5 * time.Second):
		_ = h.cmd.Process.Kill()
		<-h.done
	}
}
