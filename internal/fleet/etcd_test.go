package fleet

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/esdr/esdr/testbed/peers"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// etcdCluster starts n etcd members (Debian's etcd-server), each its own process on
// free loopback ports, and returns their client URLs once every one is healthy.
func etcdCluster(t *testing.T, n int) []string {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a real etcd; skipped under -short")
	}
	bin, err := exec.LookPath("etcd")
	if err != nil {
		t.Fatal("etcd not found; run scripts/install.sh")
	}
	clients, peerURLs, initial := make([]string, n), make([]string, n), make([]string, n)
	for i := range n {
		clients[i] = fmt.Sprintf("http://127.0.0.1:%d", peers.FreePort(t))
		peerURLs[i] = fmt.Sprintf("http://127.0.0.1:%d", peers.FreePort(t))
		initial[i] = fmt.Sprintf("e%d=%s", i, peerURLs[i])
	}
	dir := t.TempDir()
	for i := range n {
		logPath := filepath.Join(dir, fmt.Sprintf("e%d.log", i))
		logf, err := os.Create(logPath)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "--name", fmt.Sprintf("e%d", i), "--data-dir", filepath.Join(dir, fmt.Sprintf("e%d", i)),
			"--listen-client-urls", clients[i], "--advertise-client-urls", clients[i],
			"--listen-peer-urls", peerURLs[i], "--initial-advertise-peer-urls", peerURLs[i],
			"--initial-cluster", strings.Join(initial, ","), "--initial-cluster-state", "new",
			"--initial-cluster-token", "esdr-fleet-test")
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatalf("start etcd e%d: %v", i, err)
		}
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			_ = logf.Close()
			if t.Failed() {
				out, _ := os.ReadFile(logPath)
				t.Logf("etcd e%d log (tail):\n%s", i, out[max(0, len(out)-3000):])
			}
		})
	}
	hc := http.Client{Timeout: time.Second}
	for _, c := range clients {
		eventually(t, "etcd "+c+" healthy", func() bool {
			resp, err := hc.Get(c + "/health")
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		})
	}
	return clients
}

func client(t *testing.T, urls ...string) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: urls, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

// eventually polls cond until it holds; the bound is generous and never asserted on.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30s for %s", what)
		}
	}
}

// run starts m.Run and returns a stop that cancels it and returns Run's error.
func run(t *testing.T, m *Member) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	var stopped bool
	var err error
	stop = func() error {
		if !stopped {
			cancel()
			err, stopped = <-done, true
		}
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}
