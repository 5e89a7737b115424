// Package peers starts the real systems esdr's traffic targets talk to — etcd, HAProxy,
// moto (Route 53) — as child processes on free loopback ports, for tests. Each start
// registers a cleanup that stops the process and, when the test failed, logs its output.
package peers

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// FreePort returns a loopback port nothing listens on right now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// start runs bin with args, its output in dir/name.log, stopped by t.Cleanup.
func start(t testing.TB, dir, name, bin string, args ...string) {
	t.Helper()
	logPath := filepath.Join(dir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = logf.Close()
		if t.Failed() {
			out, _ := os.ReadFile(logPath)
			t.Logf("%s log:\n%s", name, tail(string(out), 4000))
		}
	})
}

// need finds a binary or fails the test with what to do.
func need(t testing.TB, name string) string {
	t.Helper()
	if testing.Short() {
		t.Skipf("needs a real %s; skipped under -short", name)
	}
	bin, err := exec.LookPath(name)
	if err != nil {
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
