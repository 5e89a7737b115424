package fleet

import (
	"context"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/esdr/esdr/testbed/peers"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// etcdCluster starts n etcd members, each its own process on free loopback ports, and
// returns their client URLs once every one is healthy.
func etcdCluster(t *testing.T, n int) []string {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a real etcd; skipped under -short")
	}
	return peers.StartEtcdCluster(t, n).Endpoints()
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
