package metrics_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/esdr/esdr/internal/epoch"
	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/internal/fleet"
	"github.com/esdr/esdr/internal/mirror"
	"github.com/esdr/esdr/internal/mirror/snapshot"
)

// registerFleet adds what a fleet member registers (internal/daemon/inputs.go). The etcd
// client never connects: registering needs none.
func registerFleet(t *testing.T, reg prometheus.Registerer) {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{"http://127.0.0.1:1"}, DialTimeout: time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	if _, err := fleet.New(cli, fleet.Options{Name: "m", Prefix: "/esdr/", Registerer: reg}); err != nil {
		t.Fatal(err)
	}
	if _, err := fleet.NewReporter(reg); err != nil {
		t.Fatal(err)
	}
}

// registerMirror adds what mirror mode registers (internal/daemon/mirror.go).
func registerMirror(t *testing.T, reg prometheus.Registerer) {
	t.Helper()
	j, _, err := mirror.Open(t.TempDir(), mirror.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	pair, err := mirror.NewPair("primary", "standby")
	if err != nil {
		t.Fatal(err)
	}
	reps, err := mirror.PairReplicators(j, pair, map[string]mirror.Applier{"primary": noApply{}, "standby": noApply{}}, mirror.ReplicatorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := mirror.NewMirror(j, pair, noEpochs{}, mirror.HandlerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := mirror.RegisterMetrics(reg, mirror.MetricsSource{Replicators: reps, Journal: j, Mirror: m, Stopped: func() bool { return false }}); err != nil {
		t.Fatal(err)
	}
}

// registerSnapshot adds what snapshot sync registers (internal/daemon/snapshot.go). The
// clients never connect: registering needs none.
func registerSnapshot(t *testing.T, reg prometheus.Registerer) {
	t.Helper()
	c, err := esclient.New([]string{"http://127.0.0.1:1"}, esclient.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s, err := snapshot.New(c, c, snapshot.Options{Repository: snapshot.Repository{Name: "esdr-sync", Type: "fs"},
		Indices: []string{"logs-*"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := snapshot.RegisterMetrics(reg, s, func() bool { return true }); err != nil {
		t.Fatal(err)
	}
}

type noApply struct{}

func (noApply) Apply(context.Context, []mirror.Record) error { return nil }

type noEpochs struct{}

func (noEpochs) Endpoint(context.Context) (epoch.Endpoint, error) { return epoch.Endpoint{}, nil }
