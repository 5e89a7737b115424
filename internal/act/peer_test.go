package act

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/decide"
	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/testbed"
)

// TestPeerFence fences a real OpenSearch 2 cluster (skipped under -short): after the
// fence an index request is refused with cluster_block_exception, after the promotion
// it is accepted, and a fence planned while the cluster was dead is applied once it is
// back.
func TestPeerFence(t *testing.T) {
	tb := testbed.StartForTest(t, testbed.Spec{Engine: "opensearch2", Cluster: "act-fence", Nodes: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	es, err := esclient.New(tb.URLs(), esclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer es.CloseIdleConnections()
	index := func(id string) (int, string) {
		t.Helper()
		status, body, err := es.Do(ctx, http.MethodPut, "/docs/_doc/"+id, strings.NewReader(`{"n":1}`))
		if err != nil {
			t.Fatal(err)
		}
		return status, string(body)
	}
	if status, body := index("1"); status != http.StatusCreated {
		t.Fatalf("first index: %d %s", status, body)
	}

	r := newRig(t)
	retry := fastRetry
	retry.AttemptTimeout = 20 * time.Second
	e := r.executor(t, func(o *Options) {
		o.Clusters = map[string]Cluster{"old": {Nodes: tb.URLs(), Settings: es}, "new": {Settings: r.west}}
		o.Retry, o.RetryInterval = retry, 200*time.Millisecond
	})

	s, d := commit(t, r.st, decide.ActFailover, "old", "new", 2)
	if err := e.Act(ctx, s, d); err != nil {
		t.Fatal(err)
	}
	if status, body := index("2"); status != http.StatusForbidden || !strings.Contains(body, "cluster_block_exception") {
		t.Fatalf("index on the fenced cluster: %d %s", status, body)
	}

	s, d = commit(t, r.st, decide.ActSwitchover, "new", "old", 3)
	if err := e.Act(ctx, s, d); err != nil {
		t.Fatal(err)
	}
	if status, body := index("3"); status != http.StatusCreated {
		t.Fatalf("index after the promotion: %d %s", status, body)
	}

	// The old active dies; the failover cannot fence it and goes on.
	if err := tb.Kill(); err != nil {
		t.Fatal(err)
	}
	s, d = commit(t, r.st, decide.ActFailover, "old", "new", 4)
	if err := e.Act(ctx, s, d); err != nil {
		t.Fatal(err)
	}
	// A failover unfences the new active first; the fence of the dead one comes second.
	if p := stored(t, r.st, 4); !slices.Equal(statuses(p), []string{"unfence new: done", "fence old: deferred", "switch a: done", "switch b: done"}) {
		t.Fatalf("failover away from a dead cluster: %q", statuses(p))
	}
	if got := e.PendingFences(); !slices.Equal(got, []string{"old"}) {
		t.Fatalf("PendingFences = %q", got)
	}

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- e.Run(runCtx) }()
	defer func() { stop(); <-done }()
	if err := tb.Start(); err != nil {
		t.Fatal(err)
	}
	if err := tb.WaitFormed(ctx, 1); err != nil {
		t.Fatal(err)
	}
	for len(e.PendingFences()) > 0 {
		e.Seen("old")
		waitFor(t, ctx)
	}
	if status, body := index("4"); status != http.StatusForbidden || !strings.Contains(body, "cluster_block_exception") {
		t.Fatalf("index on the cluster fenced when it came back: %d %s", status, body)
	}
}
