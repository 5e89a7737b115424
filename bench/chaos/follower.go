package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// keyFollower is a client that finds the active cluster the way a service-discovery
// client does: it reads esdr's etcd key before each write and writes straight to a node
// of the cluster the key names, not through esdr's proxy. It reaches the nodes through
// forwarders of its own, so a partition between esdr and a cluster does not cut it off,
// and one between it and a cluster does not cut esdr off.
type keyFollower struct {
	cli   *clientv3.Client
	key   string
	nodes map[string][]string // cluster name → its nodes' real URLs
}

func newKeyFollower(endpoints []string, key string, nodes map[string][]string) (*keyFollower, error) {
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 2 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		return nil, fmt.Errorf("chaos: etcd client: %w", err)
	}
	return &keyFollower{cli: cli, key: key, nodes: nodes}, nil
}

func (k *keyFollower) close() { _ = k.cli.Close() }

// activeValue is the part of the etcd target's value the client reads.
type activeValue struct {
	Cluster string `json:"cluster"`
	Epoch   uint64 `json:"epoch"`
}

// lookup reads the key; ok is false while it is missing, unreadable or names a cluster
// the client does not know (then it writes nothing).
func (k *keyFollower) lookup(ctx context.Context) (activeValue, bool) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	resp, err := k.cli.Get(ctx, k.key)
	if err != nil || len(resp.Kvs) == 0 {
		return activeValue{}, false
	}
	var v activeValue
	if json.Unmarshal(resp.Kvs[0].Value, &v) != nil || len(k.nodes[v.Cluster]) == 0 {
		return activeValue{}, false
	}
	return v, true
}

// write is the key-following writing process p: ids k-0, k-1, ..., each recorded with
// the cluster and epoch the key named.
func (k *keyFollower) write(ctx context.Context, w *workload, p int) {
	for n := 0; ctx.Err() == nil; {
		v, ok := k.lookup(ctx)
		if !ok {
			sleep(ctx, 4*w.pace)
			continue
		}
		id := fmt.Sprintf("k-%d", n)
		nodes := k.nodes[v.Cluster]
		url := nodes[n%len(nodes)] + "/" + w.index + "/_doc/" + id
		n++
		w.invoke(id)
		op := k.put(ctx, w, Op{Process: p, F: "write", ID: id, Via: "etcd-key", Cluster: v.Cluster, Epoch: v.Epoch}, url, n)
		if op.Phase == PhaseOK {
			w.ack(id)
		}
		sleep(ctx, w.pace)
	}
}

// put sends one write to a node and records it. A node's 5xx may come after the write
// was applied (a timeout waiting for replicas), so it is unknown; a 4xx (the fence's
// read-only block) was refused.
func (k *keyFollower) put(ctx context.Context, w *workload, op Op, url string, n int) Op {
	inv := op
	inv.Phase = PhaseInvoke
	w.rec.Add(Entry{Type: TypeOp, Op: &inv})
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, strings.NewReader(fmt.Sprintf(`{"key":true,"n":%d}`, n)))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		var resp *http.Response
		if resp, err = w.http.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			op.Status = resp.StatusCode
		}
	}
	switch {
	case err != nil && refused(err):
		op.Phase, op.Err = PhaseFail, err.Error()
	case err != nil:
		op.Phase, op.Err = PhaseUnknown, err.Error()
	case op.Status/100 == 2:
		op.Phase = PhaseOK
	case op.Status >= 500:
		op.Phase = PhaseUnknown
	default:
		op.Phase = PhaseFail
	}
	w.rec.Add(Entry{Type: TypeOp, Op: &op})
	return op
}
