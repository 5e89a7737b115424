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

// follower is a client that finds the active cluster the way a service-discovery client
// does — esdr's etcd key, or its DNS record — before each write, and writes straight to a
// node of the cluster it names, not through esdr's proxy. It reaches the nodes through
// forwarders of its own, so a partition between esdr and a cluster does not cut it off,
// and one between it and a cluster does not cut esdr off.
type follower struct {
	via    string // the path, as recorded: "etcd-key" or "dns"
	prefix string // of its document ids
	find   func(ctx context.Context) (activeValue, bool)
	nodes  map[string][]string // cluster name → its nodes' URLs, through the forwarders
	close  func()
}

// activeValue is what a follower learns: the cluster, and the epoch when the path says
// (the etcd key does; a DNS record does not, and the checker takes the epoch of the
// decision that made the cluster active).
type activeValue struct {
	Cluster string `json:"cluster"`
	Epoch   uint64 `json:"epoch"`
}

// newKeyFollower follows esdr's etcd key target.
func newKeyFollower(endpoints []string, key string, nodes map[string][]string) (*follower, error) {
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 2 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		return nil, fmt.Errorf("chaos: etcd client: %w", err)
	}
	find := func(ctx context.Context) (activeValue, bool) {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		resp, err := cli.Get(ctx, key)
		if err != nil || len(resp.Kvs) == 0 {
			return activeValue{}, false
		}
		var v activeValue
		if json.Unmarshal(resp.Kvs[0].Value, &v) != nil || len(nodes[v.Cluster]) == 0 {
			return activeValue{}, false
		}
		return v, true
	}
	return &follower{via: "etcd-key", prefix: "k-", find: find, nodes: nodes, close: func() { _ = cli.Close() }}, nil
}

// write is the following writing process p: ids prefix-0, prefix-1, ..., each recorded
// with the cluster (and epoch) the path named. While the path names nothing it knows —
// missing, unreadable, foreign — it writes nothing.
func (k *follower) write(ctx context.Context, w *workload, p int) {
	for n := 0; ctx.Err() == nil; {
		v, ok := k.find(ctx)
		if !ok {
			sleep(ctx, 4*w.pace)
			continue
		}
		id := fmt.Sprintf("%s%d", k.prefix, n)
		nodes := k.nodes[v.Cluster]
		url := nodes[n%len(nodes)] + "/" + w.index + "/_doc/" + id
		n++
		w.invoke(id)
		op := k.put(ctx, w, Op{Process: p, F: "write", ID: id, Via: k.via, Cluster: v.Cluster, Epoch: v.Epoch}, url, n)
		if op.Phase == PhaseOK {
			w.ack(id)
		}
		sleep(ctx, w.pace)
	}
}

// put sends one write to a node and records it. A node's 5xx may come after the write
// was applied (a timeout waiting for replicas), so it is unknown; a 4xx (the fence's
// read-only block) was refused.
func (k *follower) put(ctx context.Context, w *workload, op Op, url string, n int) Op {
	inv := op
	inv.Phase = PhaseInvoke
	w.rec.Add(Entry{Type: TypeOp, Op: &inv})
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, strings.NewReader(fmt.Sprintf(`{"via":%q,"n":%d}`, k.via, n)))
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
