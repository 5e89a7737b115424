package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/esdr/esdr/testbed"
)

// TestBadInput checks that every kind of bad input exits 2 with one line on stderr.
func TestBadInput(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	dir := t.TempDir()

	cases := []struct {
		name string
		args []string
		want string // in the error line
	}{
		{"no command", nil, "usage"},
		{"unknown command", []string{"explode"}, "unknown command"},
		{"unknown flag", []string{"up", "--colour", "red"}, "flag provided but not defined"},
		{"unknown engine", []string{"up", "--cluster", "a", "--engine", "es99"}, `unknown engine "es99"`},
		{"zero nodes", []string{"up", "--cluster", "a", "--engine", "es7", "--nodes", "0"}, "--nodes 0"},
		{"negative nodes", []string{"up", "--cluster", "a", "--engine", "es7", "--nodes", "-2"}, "--nodes -2"},
		{"taken port", []string{"up", "--cluster", "a", "--engine", "es7", "--nodes", "1", "--http-port", taken}, "port in use"},
		{"bad cluster name", []string{"up", "--cluster", "A B", "--engine", "es7"}, "cluster name"},
		{"missing cluster", []string{"kill"}, "--cluster is required"},
		{"unknown cluster", []string{"kill", "--cluster", "nope"}, `unknown cluster "nope"`},
		{"unknown cluster status", []string{"status", "--cluster", "nope"}, `unknown cluster "nope"`},
		{"unknown cluster down", []string{"down", "--cluster", "nope"}, `unknown cluster "nope"`},
		{"start unknown cluster", []string{"start", "--cluster", "a"}, `unknown cluster "a"`},
		{"forward without cluster", []string{"forward"}, "--cluster is required"},
		{"partition unknown cluster", []string{"partition", "--cluster", "nope"}, `unknown cluster "nope"`},
		{"heal unknown cluster", []string{"heal", "--cluster", "nope"}, `unknown cluster "nope"`},
		{"forwarder without targets", []string{"forwarder"}, "want CLUSTER-DIR HOST:PORT...; it is started by testbed forward"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := c.args
			if len(args) > 0 && args[0] != "explode" {
				args = append([]string{args[0], "--dir", dir}, args[1:]...)
			}
			code := runArgs(context.Background(), args, &stdout, &stderr)
			if code != exitUsage {
				t.Errorf("exit %d, want %d; stderr %q", code, exitUsage, stderr.String())
			}
			msg := stderr.String()
			if c.name != "no command" && strings.Count(msg, "\n") != 1 {
				t.Errorf("stderr is not one line: %q", msg)
			}
			if !strings.Contains(msg, c.want) {
				t.Errorf("stderr %q does not contain %q", msg, c.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q, want nothing", stdout.String())
			}
		})
	}
}

// TestUpStatusKillDown drives the built binary: a detached 3-node opensearch2 cluster
// comes up, is reported, loses a node, gets it back with start --cluster, and goes down
// leaving no process and no data.
func TestUpStatusKillDown(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real nodes; skipped under -short")
	}
	bin := filepath.Join(t.TempDir(), "testbed")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	tb := func(args ...string) (string, error) {
		cmd := exec.Command(bin, append(args, "--dir", dir)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Logf("testbed %v: %v: %s", args, err, stderr.String())
		}
		return string(out), err
	}
	var pids []int
	t.Cleanup(func() {
		_, _ = tb("down")
		for _, pid := range pids { // in case down failed: never leave a JVM behind
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	})

	if _, err := tb("up", "--cluster", "cli", "--engine", "opensearch2", "--nodes", "3"); err != nil {
		t.Fatal(err)
	}
	st := readStatus(t, tb)
	if len(st.Clusters) != 1 || len(st.Clusters[0].Nodes) != 3 {
		t.Fatalf("status after up: %+v", st)
	}
	for _, n := range st.Clusters[0].Nodes {
		pids = append(pids, n.PID)
		if n.State != testbed.Running || n.PID == 0 {
			t.Fatalf("node after up: %+v", n)
		}
	}

	victim := st.Clusters[0].Nodes[2]
	if _, err := tb("kill", "--cluster", "cli", "--node", victim.Name); err != nil {
		t.Fatal(err)
	}
	st = readStatus(t, tb)
	if got := st.Clusters[0].Nodes[2]; got.State != testbed.Stopped || got.PID != 0 {
		t.Fatalf("killed node: %+v", got)
	}
	if up, _ := testbed.Listening(strings.TrimPrefix(victim.HTTP, "http://"), time.Second); up {
		t.Fatalf("killed node %s still accepts connections", victim.Name)
	}
	// start without --node: every stopped node, back in the formed cluster (the recovery
	// of esdr drill --fault kill).
	if _, err := tb("start", "--cluster", "cli"); err != nil {
		t.Fatal(err)
	}
	st = readStatus(t, tb)
	for _, n := range st.Clusters[0].Nodes {
		if n.State != testbed.Running {
			t.Fatalf("node after start --cluster: %+v", n)
		}
	}
	pids = append(pids, st.Clusters[0].Nodes[2].PID)

	if _, err := tb("down"); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); err == nil && !zombie(pid) {
			t.Errorf("pid %d still alive after down", pid)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		entries, _ := os.ReadDir(dir)
		t.Errorf("state dir still there after down: %v", entries)
	}
}

type statusOut struct {
	Clusters []testbed.ClusterStatus `json:"clusters"`
}

func readStatus(t *testing.T, tb func(...string) (string, error)) statusOut {
	t.Helper()
	out, err := tb("status")
	if err != nil {
		t.Fatal(err)
	}
	var st statusOut
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status is not JSON: %v\n%s", err, out)
	}
	return st
}

// zombie reports a dead process that its (other) parent has not reaped yet.
func zombie(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(stat, ')')
	return i > 0 && i+2 < len(stat) && (stat[i+2] == 'Z' || stat[i+2] == 'X')
}
