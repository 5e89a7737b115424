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

// anchorConfig is HAProxy configured as the anchor esdr is compared with: the primary's
// nodes as servers, the standby as a backup server, health checks on /_cluster/health.
// X-Esdr-Cluster names the cluster that answered, as esdr's proxy does, so that the same
// client measures both.
const anchorConfig = `global
    maxconn 4096
defaults
    mode http
    option http-keep-alive
    timeout connect 1s
    timeout client 30s
    timeout server 5s
    retries 3
    option redispatch
frontend fe
    bind %s
    default_backend es
backend es
    balance roundrobin
    option httpchk GET /_cluster/health
    default-server inter 2s fall 3 rise 2
    http-response set-header X-Esdr-Cluster standby if { srv_name standby }
    http-response set-header X-Esdr-Cluster primary unless { srv_name standby }
%s    server standby %s check backup
`

// anchor renders anchorConfig for the primary's node addresses and the standby's node.
func anchor(listen string, primary []string, standby string) string {
	var servers strings.Builder
	for i, u := range primary {
		fmt.Fprintf(&servers, "    server primary%d %s check\n", i+1, strings.TrimPrefix(u, "http://"))
	}
	return fmt.Sprintf(anchorConfig, listen, servers.String(), strings.TrimPrefix(standby, "http://"))
}

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

// haproxyVersion is the installed HAProxy's version, such as 2.6.12-1+deb12u4.
func haproxyVersion() string {
	out, err := exec.Command("haproxy", "-v").Output()
	if f := strings.Fields(string(out)); err == nil && len(f) >= 3 {
		return f[2]
	}
	return "(unknown version)"
}
