package bootstrap

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/esdr/esdr/internal/act"
	"github.com/esdr/esdr/internal/esclient"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// node answers the two reads of the look like an Elasticsearch node would.
func node(t *testing.T, settings, stats string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/_cluster/settings":
			_, _ = w.Write([]byte(settings))
		case "/_stats/docs":
			_, _ = w.Write([]byte(stats))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func client(t *testing.T, url string) *esclient.Client {
	t.Helper()
	es, err := esclient.New([]string{url}, esclient.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(es.CloseIdleConnections)
	return es
}

// points is a target that says where it points; plain is one that cannot.
type points struct{ name, cluster string }

func (p points) Name() string                                   { return p.name }
func (p points) Apply(context.Context, act.Switch) error        { return errors.New("not in a look") }
func (p points) Points(context.Context) (string, uint64, error) { return p.cluster, 2, nil }

type plain struct{}

func (plain) Name() string                            { return "route53-failover:es" }
func (plain) Apply(context.Context, act.Switch) error { return errors.New("not in a look") }

// TestRead reads a fenced primary, a standby with more writes, a cluster that refuses
// connections (retried until the bound, then reported), and only the targets that can
// say where they point.
func TestRead(t *testing.T) {
	primary := node(t, `{"persistent":{"cluster.blocks.read_only":"true"},"transient":{}}`,
		`{"indices":{"logs":{"shards":{"0":[{"routing":{"primary":true},"seq_no":{"max_seq_no":9}}]}}}}`)
	standby := node(t, `{"persistent":{},"transient":{}}`,
		`{"indices":{"logs":{"shards":{"0":[{"routing":{"primary":true},"seq_no":{"max_seq_no":14}}]}}}}`)
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	l := Read(context.Background(), Sources{Preferred: "primary", Timeout: 2 * time.Second,
		Clusters: []Cluster{{"primary", client(t, primary)}, {"standby", client(t, standby)}, {"third", client(t, deadURL)}},
		Targets:  []act.Target{points{"etcd:/esdr/active", "standby"}, plain{}}})
	if c := l.Clusters[0]; c.Err != nil || !c.Fenced || c.Ops["logs"] != 10 {
		t.Errorf("primary read as %+v", c)
	}
	if c := l.Clusters[1]; c.Err != nil || c.Fenced || c.Ops["logs"] != 15 {
		t.Errorf("standby read as %+v", c)
	}
	if c := l.Clusters[2]; c.Err == nil {
		t.Errorf("unreachable cluster read as %+v", c)
	}
	if len(l.Targets) != 1 || l.Targets[0] != (TargetLook{Name: "etcd:/esdr/active", Cluster: "standby", Epoch: 2}) {
		t.Errorf("targets read as %+v", l.Targets)
	}
	if v := Judge(l); len(v.Findings) != 4 || v.Epoch != 3 {
		t.Errorf("judged %q at epoch %d, want 4 findings at 3", v.Findings, v.Epoch)
	}
}
