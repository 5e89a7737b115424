package fleet

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/internal/state"
)

// frozenLeader is a leader that never learns that its term ended, as a process paused
// past its session TTL wakes up: it keeps the election key and create revision of the
// term it won, and always believes it may act. Only etcd can refuse it.
type frozenLeader struct{ fixedGuard }

func (frozenLeader) Acting(context.Context) error { return nil }

// record is what happened, in order, across members and nodes.
type record struct {
	mu  sync.Mutex
	ops []string
}

func (r *record) add(op string) {
	r.mu.Lock()
	r.ops = append(r.ops, op)
	r.mu.Unlock()
}

func (r *record) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.ops)
}

// settingsNode is one node of a cluster over real HTTP. It records every settings
// change it accepts, in the order they arrive; while down it answers as a cluster
// without an elected master does (a fence is then deferred).
type settingsNode struct {
	name string
	rec  *record
	down atomic.Bool
	srv  *httptest.Server
}

func newSettingsNode(t *testing.T, name string, rec *record) *settingsNode {
	t.Helper()
	n := &settingsNode{name: name, rec: rec}
	n.srv = httptest.NewServer(http.HandlerFunc(n.serve))
	t.Cleanup(n.srv.Close)
	return n
}

func (n *settingsNode) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Method != http.MethodPut || r.URL.Path != "/_cluster/settings" {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if n.down.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"error":{"type":"master_not_discovered_exception","reason":"no master"},"status":503}`)
		return
	}
	var body struct {
		Persistent map[string]any `json:"persistent"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if body.Persistent["cluster.blocks.read_only"] == true {
		n.rec.add("fence " + n.name)
	} else {
		n.rec.add("unfence " + n.name)
	}
	_, _ = io.WriteString(w, `{"acknowledged":true}`)
}

// client is a real esclient for the node, as esdr run builds one per fenced cluster.
func (n *settingsNode) client(t *testing.T) *esclient.Client {
	t.Helper()
	c, err := esclient.New([]string{n.srv.URL}, esclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// acceptAll is a cluster whose settings requests always succeed.
type acceptAll struct{}

func (acceptAll) PutClusterSettings(context.Context, map[string]any) error { return nil }

// leadership is what act.Options.Leader takes.
type leadership interface{ Acting(context.Context) error }

// executor acts for one member on east (a real HTTP node) and west.
func executor(t *testing.T, st *state.Etcd, lead leadership, east *settingsNode) *act.Executor {
	t.Helper()
	e, err := act.New(st, act.Options{
		Clusters: map[string]act.Cluster{"east": {Settings: east.client(t)}, "west": {Settings: acceptAll{}}},
		Retry: act.Retry{Attempts: 3, Backoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond,
			MaxElapsed: 10 * time.Second, AttemptTimeout: 5 * time.Second},
		RetryInterval: 20 * time.Millisecond,
		Leader:        lead,
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func openStore(t *testing.T, cli *clientv3.Client, g state.Guard) *state.Etcd {
	t.Helper()
	st, err := state.OpenEtcd(context.Background(), cli, state.EtcdOptions{Prefix: prefix, Guard: g})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// failover stores a failover from → to at epoch, as the leader's loop would, and
// returns what the loop hands to Act.
func failover(t *testing.T, st *state.Etcd, from, to string, epoch uint64) (decide.State, decide.Decision) {
	t.Helper()
	ctx := context.Background()
	rec, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := decide.Decision{Action: decide.ActFailover, From: from, To: to, Epoch: epoch, Code: decide.CodeActiveDown, Reason: from + " is down"}
	s := decide.State{Active: to, Epoch: epoch,
		LastTransition: &decide.Transition{Kind: d.Action, From: from, To: to, Epoch: epoch, Code: d.Code, Reason: d.Reason}}
	if _, _, err := st.CommitDecision(ctx, rec.Revision, s); err != nil {
		t.Fatal(err)
	}
	return s, d
}

// runExecutor runs e.Run until the returned stop, which returns Run's error.
func runExecutor(t *testing.T, e *act.Executor) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	var err error
	stopped := false
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
