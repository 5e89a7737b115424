package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/esdr/esdr/testbed/esdrproc"
	"github.com/esdr/esdr/testbed/poll"
)

// esdr is the esdr process the demo runs, and where it listens.
type esdr struct {
	proc         *esdrproc.Proc
	admin, proxy string // host:port
}

// startEsdr writes the demo's configuration (proxy on 127.0.0.1:9200 and admin API on
// 127.0.0.1:9310 when free) and runs `esdr run` on it until it sees both clusters up.
func (d *demo) startEsdr(ctx context.Context) (*esdr, error) {
	adminAddr, err := preferAddr("127.0.0.1:9310")
	if err != nil {
		return nil, err
	}
	proxyAddr, err := preferAddr("127.0.0.1:9200")
	if err != nil {
		return nil, err
	}
	cfg := esdrproc.Pair{
		Primary: d.pair.primary.URLs(), Standby: d.pair.standby.URLs(),
		Interval: d.o.interval, Threshold: d.o.threshold, AdminAddr: adminAddr, ProxyAddr: proxyAddr,
	}
	proc, err := esdrproc.Start(ctx, d.o.esdrBin, d.o.dir, adminAddr, cfg.YAML())
	if err != nil {
		return nil, err
	}
	e := &esdr{proc: proc, admin: adminAddr, proxy: proxyAddr}
	d.step("esdr run -c %s: proxy http://%s, admin API http://%s (probes every %s, %d failures to act)",
		proc.Config, proxyAddr, adminAddr, d.o.interval, d.o.threshold)
	if err := proc.WaitUp(ctx, time.Minute, "primary", "standby"); err != nil {
		return e, err
	}
	d.step("esdr sees both clusters up")
	return e, nil
}

// preferAddr returns addr when nothing listens there, else a free loopback address.
func preferAddr(addr string) (string, error) {
	if l, err := net.Listen("tcp", addr); err == nil {
		l.Close()
		return addr, nil
	}
	return esdrproc.FreeAddr()
}

// pidFile is where a kept esdr's process id is written.
func pidFile(dir string) string { return filepath.Join(dir, "esdr.pid") }

// keptEsdr returns the pid of an esdr a kept demo left running from dir's config.
func keptEsdr(dir string) (int, bool) {
	b, err := os.ReadFile(pidFile(dir))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !strings.Contains(string(cmdline), filepath.Join(dir, "esdr.yaml")) {
		return 0, false // gone, or the pid now belongs to something else
	}
	return pid, true
}

// keepRunning hands esdr over to a detached process on the same configuration and state
// (the demo's own child would die with it), then prints how to stop everything.
func (d *demo) keepRunning() error {
	if d.esdr == nil {
		return nil
	}
	d.esdr.proc.Stop()
	logPath := filepath.Join(d.o.dir, "esdr.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(d.o.esdrBin, "run", "-c", d.esdr.proc.Config)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("restart esdr detached: %w", err)
	}
	pid := cmd.Process.Pid
	_ = cmd.Process.Release()
	if err := os.WriteFile(pidFile(d.o.dir), []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		return err
	}
	// The same admin address and token: the stopped child's client asks the detached one.
	answers := func() bool { _, err := d.esdr.proc.Client.Status(context.Background()); return err == nil }
	if err := poll.Until(context.Background(), 20*time.Second, "the detached esdr answering", answers); err != nil {
		return fmt.Errorf("detached esdr (pid %d) did not answer (%w); see %s", pid, err, logPath)
	}
	d.step("kept running: esdr pid %d (log %s), the clusters (see bin/testbed status --dir %s)", pid, logPath, d.o.dir)
	fmt.Printf("\nStop everything with:\n  kill %d; bin/testbed down --dir %s; rm -rf %s\n", pid, d.o.dir, d.o.dir)
	fmt.Printf("(or just run make demo again: it stops what is left here first)\n")
	return nil
}
