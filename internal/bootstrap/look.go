package bootstrap

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/esdr/esdr/internal/act"
)

// DefaultTimeout bounds the whole look when Sources.Timeout is zero. A cluster that is
// still forming gets until then to answer; one that never does is a finding.
const DefaultTimeout = 15 * time.Second

// retryEvery is the pause between two reads of a cluster that did not answer.
const retryEvery = 500 * time.Millisecond

// clusterReader is the part of *esclient.Client the look reads a cluster through.
type clusterReader interface {
	ClusterSettings(ctx context.Context) (map[string]any, error)
	Do(ctx context.Context, method, path string, body io.Reader) (int, []byte, error)
}

// pointer is a traffic target that can say where it points (etcd key, RFC 2136,
// HAProxy, Route 53 record). Targets without it (Route 53 failover-records, where
// Route 53 chooses) are not looked at.
type pointer interface {
	Points(ctx context.Context) (cluster string, epoch uint64, err error)
}

// Cluster is one configured cluster and a client reading it.
type Cluster struct {
	Name string
	ES   clusterReader
}

// Sources is what Look reads.
type Sources struct {
	Preferred string
	Clusters  []Cluster
	Targets   []act.Target
	Timeout   time.Duration
}

// Read reads every cluster and every target that can say where it points, all at once,
// within s.Timeout. It never writes. Nothing read is an error of Look: an unreadable
// cluster or target is part of the result, for Judge.
func Read(ctx context.Context, s Sources) Look {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	l := Look{Preferred: s.Preferred, Clusters: make([]ClusterLook, len(s.Clusters))}
	var wg sync.WaitGroup
	for i, c := range s.Clusters {
		wg.Go(func() { l.Clusters[i] = readCluster(ctx, c) })
	}
	var mu sync.Mutex
	for _, t := range s.Targets {
		p, ok := t.(pointer)
		if !ok {
			continue
		}
		wg.Go(func() {
			tl := TargetLook{Name: t.Name()}
			tl.Cluster, tl.Epoch, tl.Err = p.Points(ctx)
			mu.Lock()
			l.Targets = append(l.Targets, tl)
			mu.Unlock()
		})
	}
	wg.Wait()
	return l
}

// readCluster reads the fence and the operation counts of one cluster, again every
// retryEvery until both are read or ctx ends (a cluster still electing a master). The
// error reported is the cluster's own, not the look's bound cutting the last attempt.
func readCluster(ctx context.Context, c Cluster) ClusterLook {
	var last error
	for {
		cl, err := readOnce(ctx, c)
		if err == nil {
			return cl
		}
		if ctx.Err() == nil || last == nil {
			last = err
		}
		select {
		case <-ctx.Done():
			return ClusterLook{Name: c.Name, Err: last}
		case <-time.After(retryEvery):
		}
	}
}

func readOnce(ctx context.Context, c Cluster) (ClusterLook, error) {
	set, err := c.ES.ClusterSettings(ctx)
	if err != nil {
		return ClusterLook{}, err
	}
	status, body, err := c.ES.Do(ctx, http.MethodGet, statsPath, nil)
	if err != nil {
		return ClusterLook{}, err
	}
	if status != http.StatusOK {
		return ClusterLook{}, fmt.Errorf("bootstrap: GET /_stats: HTTP %d: %.200s", status, body)
	}
	ops, err := parseOps(body)
	if err != nil {
		return ClusterLook{}, fmt.Errorf("bootstrap: GET /_stats: %w", err)
	}
	return ClusterLook{Name: c.Name, Fenced: isTrue(set[readOnly]), Ops: ops}, nil
}

// readOnly is the block esdr fences with (see internal/act/fence.go).
const readOnly = "cluster.blocks.read_only"

func isTrue(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return x == "true"
	}
	return false
}
