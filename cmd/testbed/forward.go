package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/esdr/esdr/testbed"
)

// readyWithin bounds the wait for a new forwarder to listen.
const readyWithin = 10 * time.Second

// forward puts a detached forwarder in front of every HTTP port of a cluster and prints
// the cluster's status with the forwarded URLs: point esdr and its clients at those, and
// `partition` can cut them off. A cluster already forwarded keeps its forwarder (and its
// URLs); one whose forwarder died gets a new one, on new ports.
func forward(ctx context.Context, o options, stdout io.Writer) error {
	clusters, c, _, err := target(o, false)
	if err != nil {
		return err
	}
	if c.ForwardState() == testbed.Stopped {
		c.Forward = nil
		if c.Forward, err = startForwarder(c); err != nil {
			return err
		}
		if err := testbed.SaveClusters(o.dir, clusters); err != nil {
			_ = c.StopForward()
			return err
		}
	}
	return writeJSON(stdout, statusOf(ctx, c))
}

// startForwarder runs `testbed forwarder` detached (its own session: it outlives this
// command) and waits until it reports its addresses on a pipe.
func startForwarder(c *testbed.Cluster) (*testbed.Forward, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("testbed forward: %w", err)
	}
	args := []string{forwarderCmd, c.Dir}
	for _, n := range c.Nodes {
		args = append(args, fmt.Sprintf("127.0.0.1:%d", n.HTTPPort))
	}
	logPath := filepath.Join(c.Dir, "forward.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("testbed forward: log: %w", err)
	}
	defer logf.Close() // the child has its own copy
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("testbed forward: %w", err)
	}
	defer r.Close()
	cmd := exec.Command(exe, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.ExtraFiles = []*os.File{w} // fd 3: forwarderReady
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return nil, fmt.Errorf("testbed forward: start %s: %w", exe, err)
	}
	go func() { _ = cmd.Wait() }() // reap it if it dies while this command still runs
	var ready forwarderReady
	_ = r.SetReadDeadline(time.Now().Add(readyWithin))
	if err := json.NewDecoder(r).Decode(&ready); err != nil || len(ready.URLs) != len(c.Nodes) {
		_ = cmd.Process.Kill()
		log, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("testbed forward: cluster %s: the forwarder did not report its addresses within %s (%v); its log %s:\n%s",
			c.Name, readyWithin, err, logPath, lastLines(string(log), 10))
	}
	return &testbed.Forward{PID: cmd.Process.Pid, Control: ready.Control, URLs: ready.URLs, Log: logPath}, nil
}

// unforward stops a cluster's forwarder; its URLs stop answering.
func unforward(_ context.Context, o options, _ io.Writer) error {
	clusters, c, _, err := target(o, false)
	if err != nil {
		return err
	}
	if err := c.StopForward(); err != nil {
		return err
	}
	return testbed.SaveClusters(o.dir, clusters)
}

// modeCmd builds partition (blackhole: the forwarder drops every byte silently, both
// ways, and holds its connections open, as across a network partition) and heal (pass
// again; the held connections are reset, as by a host that forgot them).
func modeCmd(verb, mode string) func(context.Context, options, io.Writer) error {
	return func(ctx context.Context, o options, _ io.Writer) error {
		_, c, _, err := target(o, false)
		if err != nil {
			return err
		}
		switch {
		case c.Forward == nil:
			return usagef("testbed %s: cluster %s has no forwarder: run testbed forward --cluster %s first and point esdr and its clients at the URLs it prints",
				verb, c.Name, c.Name)
		case c.ForwardState() == testbed.Stopped:
			return fmt.Errorf("testbed %s: cluster %s: its forwarder (pid %d) is gone; testbed forward --cluster %s starts a new one, on new URLs",
				verb, c.Name, c.Forward.PID, c.Name)
		}
		_, err = forwarderMode(ctx, c.Forward.Control, mode)
		return err
	}
}

// statusOf is a cluster's status with its forwarder's mode as the forwarder answers.
func statusOf(ctx context.Context, c *testbed.Cluster) testbed.ClusterStatus {
	s := c.Status()
	if s.Forward != nil && s.Forward.State != testbed.Stopped {
		s.Forward.Mode, _ = forwarderMode(ctx, c.Forward.Control, "")
	}
	return s
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
