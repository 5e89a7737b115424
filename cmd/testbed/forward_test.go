package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/esdr/esdr/testbed"
)

// buildTestbed builds this command into a temporary folder: the forwarder runs detached
// from the binary, as `bin/testbed` runs it.
func buildTestbed(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "testbed")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestForwardPartitionHeal drives the built binary's forwarder in front of a real HTTP
// server standing in for a node (the forwarder does not care what answers): forwarded
// requests reach it, a partition drops them silently (a client times out, nothing
// arrives), heal lets them through again, unforward and down leave no process behind.
func TestForwardPartitionHeal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts a detached process; skipped under -short")
	}
	var hits atomic.Int64
	node := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.Write([]byte(`{"ok":true}`))
	}))
	defer node.Close()
	port := node.Listener.Addr().(*net.TCPAddr).Port

	dir := t.TempDir()
	cdir := filepath.Join(dir, "edge")
	if err := os.MkdirAll(cdir, 0o755); err != nil {
		t.Fatal(err)
	}
	state := `{"clusters":[{"name":"edge","engine":"opensearch2","dir":"` + cdir +
		`","nodes":[{"name":"edge-0","http_port":` + strconv.Itoa(port) + `,"dir":"` + filepath.Join(cdir, "edge-0") + `","command":["true"]}]}]}`
	if err := os.WriteFile(filepath.Join(dir, testbed.StateFile), []byte(state), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := buildTestbed(t)
	tb := func(args ...string) (string, string, int) {
		cmd := exec.Command(bin, append(args, "--dir", dir)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
	}
	forwarded := func() testbed.ClusterStatus {
		t.Helper()
		out, stderr, code := tb("status", "--cluster", "edge")
		var st statusOut
		if err := json.Unmarshal([]byte(out), &st); code != 0 || err != nil || len(st.Clusters) != 1 {
			t.Fatalf("status: exit %d, %v: %s%s", code, err, out, stderr)
		}
		return st.Clusters[0]
	}
	var pids []int
	t.Cleanup(func() {
		for _, pid := range pids { // in case down failed: never leave a forwarder behind
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})

	if _, stderr, code := tb("partition", "--cluster", "edge"); code != exitUsage || !strings.Contains(stderr, "has no forwarder: run testbed forward --cluster edge first") {
		t.Fatalf("partition before forward: exit %d: %s", code, stderr)
	}
	if _, stderr, code := tb("forward", "--cluster", "edge"); code != 0 {
		t.Fatalf("forward: exit %d: %s", code, stderr)
	}
	f := forwarded().Forward
	if f == nil || len(f.URLs) != 1 || f.State != testbed.Running || f.Mode != "pass" || f.PID == 0 {
		t.Fatalf("forward status: %+v", f)
	}
	pids = append(pids, f.PID)
	if _, _, code := tb("forward", "--cluster", "edge"); code != 0 || forwarded().Forward.URLs[0] != f.URLs[0] {
		t.Fatalf("forward again: exit %d, %+v; want the same forwarder", code, forwarded().Forward)
	}
	client := &http.Client{Timeout: time.Second}
	get := func() error {
		resp, err := client.Get(f.URLs[0] + "/")
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := get(); err != nil || hits.Load() != 1 {
		t.Fatalf("through the forwarder: %v, %d hits", err, hits.Load())
	}

	if _, stderr, code := tb("partition", "--cluster", "edge"); code != 0 || forwarded().Forward.Mode != "blackhole" {
		t.Fatalf("partition: exit %d: %s; status %+v", code, stderr, forwarded().Forward)
	}
	var nerr net.Error
	if err := get(); !errors.As(err, &nerr) || !nerr.Timeout() || hits.Load() != 1 {
		t.Fatalf("across the partition: %v (want a timeout, as from a silent network), %d hits", err, hits.Load())
	}
	if _, stderr, code := tb("heal", "--cluster", "edge"); code != 0 || forwarded().Forward.Mode != "pass" {
		t.Fatalf("heal: exit %d: %s", code, stderr)
	}
	if err := get(); err != nil || hits.Load() != 2 {
		t.Fatalf("after heal: %v, %d hits", err, hits.Load())
	}

	if _, stderr, code := tb("unforward", "--cluster", "edge"); code != 0 || forwarded().Forward != nil || alive(f.PID) {
		t.Fatalf("unforward: exit %d: %s; forwarder pid %d alive %t", code, stderr, f.PID, alive(f.PID))
	}
	if err := get(); err == nil {
		t.Fatal("the forwarded URL still answers after unforward")
	}
	if _, stderr, code := tb("forward", "--cluster", "edge"); code != 0 {
		t.Fatalf("forward again: exit %d: %s", code, stderr)
	}
	again := forwarded().Forward
	pids = append(pids, again.PID)
	if _, stderr, code := tb("down"); code != 0 || alive(again.PID) {
		t.Fatalf("down: exit %d: %s; forwarder pid %d alive %t", code, stderr, again.PID, alive(again.PID))
	}
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil && !zombie(pid) }
