package act_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/route/etcdkey"
	"github.com/esdr/esdr/internal/state"
	"github.com/esdr/esdr/testbed/peers"
)

// keyGuard fences the store's writes by a plain key, as a fleet leader's election key
// would, without a lease that a paused etcd could let expire.
type keyGuard struct {
	key string
	rev int64
}

func (g keyGuard) LeaderKey() string { return g.key }
func (g keyGuard) LeaderRev() int64  { return g.rev }

// pausing is a real target whose first Apply, once done, freezes the store's etcd, so
// that the plan's next journal write times out: the store fails during the plan.
type pausing struct {
	act.Target
	pause func()
}

func (p *pausing) Apply(ctx context.Context, sw act.Switch) error {
	err := p.Target.Apply(ctx, sw)
	if p.pause != nil {
		p.pause()
		p.pause = nil
	}
	return err
}

func etcdClient(t *testing.T, endpoints ...string) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

// TestPeerStorePausedDuringPlan runs a failover plan on esdr's etcd store (a real etcd
// process) with two real etcd-key targets (another etcd). The store's etcd is frozen
// with SIGSTOP right after the first target switched, before that step's outcome is
// journaled, and thawed once the plan is seen interrupted: Run takes the plan up from
// the journal and it completes, and both targets hold the new epoch, each key written
// once. (Whether the first switch runs again depends on whether etcd, thawed, applies
// the timed-out write of its outcome: either way it must not matter.)
func TestPeerStorePausedDuringPlan(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	storeEtcd := peers.StartEtcdCluster(t, 1)
	scli := etcdClient(t, storeEtcd.Endpoints()...)
	lead, err := scli.Put(ctx, "/esdr/test/leader", "me")
	if err != nil {
		t.Fatal(err)
	}
	st, err := state.OpenEtcd(ctx, scli, state.EtcdOptions{Prefix: "/esdr/test/",
		Guard: keyGuard{"/esdr/test/leader", lead.Header.Revision}, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	tcli := etcdClient(t, peers.Etcd(t))
	var targets []act.Target
	for _, key := range []string{"/esdr/a", "/esdr/b"} {
		tg, err := etcdkey.New(tcli, key, nil)
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, tg)
	}
	paused := make(chan struct{})
	targets[0] = &pausing{Target: targets[0], pause: func() { storeEtcd.Pause(0); close(paused) }}

	reg := prometheus.NewRegistry()
	e, err := act.New(st, act.Options{
		Clusters: map[string]act.Cluster{
			"east": {Nodes: []string{"http://east:9200"}, NoFence: true},
			"west": {Nodes: []string{"http://west:9200"}, NoFence: true},
		},
		Targets:       targets,
		Retry:         act.Retry{Attempts: 2, Backoff: 10 * time.Millisecond, AttemptTimeout: 10 * time.Second},
		RetryInterval: 200 * time.Millisecond,
		Registerer:    reg,
	})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- e.Run(runCtx) }()
	defer func() { stop(); <-done }()

	rec, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := decide.State{Active: "west", Epoch: 2, ActiveSince: time.Now(), LastTransition: &decide.Transition{
		Kind: decide.ActFailover, From: "east", To: "west", Epoch: 2, Code: decide.CodeActiveDown, Reason: "east is down", At: time.Now()}}
	if _, _, err := st.CommitDecision(ctx, rec.Revision, s); err != nil {
		t.Fatal(err)
	}
	d := decide.Decision{Action: decide.ActFailover, From: "east", To: "west", Epoch: 2, Code: decide.CodeActiveDown, Reason: "east is down"}
	err = e.Act(ctx, s, d)
	<-paused
	if err == nil || !strings.Contains(err.Error(), "retried from the journal") {
		t.Fatalf("Act with the store frozen = %v, want the store's error", err)
	}
	if p := e.Current(); p == nil || p.Status != act.StatusFailed || p.StoreError == "" {
		t.Fatalf("Current() with the store frozen = %+v", p)
	}
	storeEtcd.Resume(0)

	for p := e.Current(); p.Status != act.StatusDone; p = e.Current() {
		select {
		case <-ctx.Done():
			t.Fatalf("plan not done after the store came back: %+v", p)
		case <-time.After(50 * time.Millisecond):
		}
	}
	for _, key := range []string{"/esdr/a", "/esdr/b"} {
		resp, err := tcli.Get(ctx, key)
		if err != nil || len(resp.Kvs) != 1 {
			t.Fatalf("%s: %v %v", key, resp, err)
		}
		var v etcdkey.Value
		if err := json.Unmarshal(resp.Kvs[0].Value, &v); err != nil || v.Cluster != "west" || v.Epoch != 2 {
			t.Errorf("%s holds %s (%v), want west for epoch 2", key, resp.Kvs[0].Value, err)
		}
		if resp.Kvs[0].Version != 1 {
			t.Errorf("%s written %d times, want once", key, resp.Kvs[0].Version)
		}
	}
	evs, err := st.Events(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, ev := range evs {
		msgs = append(msgs, ev.Message)
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"plan for epoch 2 interrupted by the state store", "plan for epoch 2 done"} {
		if !strings.Contains(all, want) {
			t.Errorf("events lack %q:\n%s", want, all)
		}
	}
	if n := storeErrors(t, reg); n < 1 {
		t.Errorf("esdr_plan_store_errors_total = %v, want at least 1", n)
	}
}

func storeErrors(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == "esdr_plan_store_errors_total" {
			return f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	return 0
}
