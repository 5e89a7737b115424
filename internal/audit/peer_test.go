package audit

import (
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/esdr/esdr/internal/esclient"
	"github.com/esdr/esdr/testbed"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// peerEngines are the engines the real-peer tests run on: $ESDR_TESTBED_ENGINES
// (comma-separated), else the test bed's required ones.
func peerEngines() []string {
	if v := os.Getenv("ESDR_TESTBED_ENGINES"); v != "" {
		return strings.Split(v, ",")
	}
	return testbed.RequiredEngines
}

// topology are the live codes a healthy three-node cluster must not show.
var topology = []Code{ClusterUnreachable, NodeUnreachable, URLsMixedClusters, LiveMastersTooFew,
	LiveMastersEven, NoElectedMaster, VotingExclusionsLeft, HealthRed}

// TestPeer runs the live and parity rules against real clusters of each engine: a
// three-node primary and a one-node standby, started once per engine and reaped when
// the engine's subtest ends (two cores: at most 3+1 nodes, then 2, at a time).
func TestPeer(t *testing.T) {
	engines := peerEngines()
	for i, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			big := testbed.StartForTest(t, testbed.Spec{Engine: engine, Cluster: "audit3-" + engine, Nodes: 3})
			small := testbed.StartForTest(t, testbed.Spec{Engine: engine, Cluster: "audit1-" + engine, Nodes: 1})
			t.Run("three nodes pass the topology rules", func(t *testing.T) { threeNodes(t, big) })
			t.Run("one node fails them", func(t *testing.T) { tooFew(t, small, 1) })
			t.Run("index without replicas", func(t *testing.T) { zeroReplicas(t, big) })
			t.Run("parity", func(t *testing.T) { parity(t, big, small) })
			t.Run("unreachable", func(t *testing.T) { unreachable(t, big) })
			if i == len(engines)-1 { // one engine is enough for the two-node case
				if err := small.Destroy(); err != nil {
					t.Error(err)
				}
				two := testbed.StartForTest(t, testbed.Spec{Engine: engine, Cluster: "audit2-" + engine, Nodes: 2})
				t.Run("two nodes fail them", func(t *testing.T) { tooFew(t, two, 2) })
			}
		})
	}
}

func bounded(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func target(name string, c *testbed.Cluster) *Target {
	return &Target{Name: name, URLs: c.URLs(), Options: esclient.Options{Timeout: 10 * time.Second}}
}

func find(r *Report, code Code, subject string) *Finding {
	for i, f := range r.Findings {
		if f.Code == code && (subject == "" || f.Subject == subject) {
			return &r.Findings[i]
		}
	}
	return nil
}

func threeNodes(t *testing.T, c *testbed.Cluster) {
	r := Run(bounded(t), Options{Cluster: target("primary", c), Now: time.Now()})
	if !r.Reached {
		t.Fatal("not reached")
	}
	for _, code := range topology {
		if f := find(r, code, ""); f != nil {
			t.Errorf("%s: %v", code, f.Evidence)
		}
	}
	// The test bed registers no snapshot repository: the audit must say so.
	if find(r, SnapshotRepoMissing, "primary") == nil {
		t.Errorf("no %s in %v", SnapshotRepoMissing, r.Codes())
	}
	if f := find(r, LiveReadFailed, ""); f != nil {
		t.Errorf("a read failed: %v", f.Evidence)
	}
}

func tooFew(t *testing.T, c *testbed.Cluster, n int) {
	r := Run(bounded(t), Options{Cluster: target("small", c), Now: time.Now()})
	f := find(r, LiveMastersTooFew, "small")
	if f == nil || !strings.HasPrefix(f.Evidence[0], fmt.Sprintf("%d master-eligible of %s", n, plural(n, "node"))) {
		t.Fatalf("want %s with %d masters, got %v (%v)", LiveMastersTooFew, n, r.Codes(), f)
	}
}

func zeroReplicas(t *testing.T, c *testbed.Cluster) {
	ctx := bounded(t)
	es := client(t, c)
	put(t, ctx, es, "/no-copies", `{"settings":{"number_of_shards":1,"number_of_replicas":0}}`)
	r := Run(ctx, Options{Cluster: target("primary", c), Now: time.Now()})
	f := find(r, ReplicasZero, "primary")
	if f == nil || f.Severity != Warning || !strings.Contains(f.Evidence[0], "no-copies") {
		t.Fatalf("want a %s warning naming no-copies, got %v (%v)", ReplicasZero, r.Codes(), f)
	}
}

// parity sets up what a standby typically lacks: a composable and a legacy template, an
// ingest pipeline, an index, documents, a mapping typed differently, an alias.
func parity(t *testing.T, primary, standby *testbed.Cluster) {
	ctx := bounded(t)
	p, s := client(t, primary), client(t, standby)
	put(t, ctx, p, "/_index_template/audit-tpl", `{"index_patterns":["audit-*"],"template":{"settings":{"number_of_replicas":1}}}`)
	put(t, ctx, p, "/_template/audit-legacy", `{"index_patterns":["legacy-*"],"settings":{"number_of_shards":1}}`)
	put(t, ctx, p, "/_ingest/pipeline/audit-pipe", `{"description":"lowercase","processors":[{"lowercase":{"field":"sku"}}]}`)
	put(t, ctx, p, "/orders", `{"settings":{"number_of_shards":1},"mappings":{"properties":{"sku":{"type":"keyword"}}},"aliases":{"orders-current":{}}}`)
	put(t, ctx, p, "/only-primary", `{"settings":{"number_of_shards":1}}`)
	put(t, ctx, s, "/orders", `{"settings":{"number_of_shards":1,"number_of_replicas":0}}`)
	for i, doc := range []string{"a", "b", "c"} {
		put(t, ctx, p, "/orders/_doc/"+doc, `{"sku":"`+doc+`"}`)
		if i == 0 {
			put(t, ctx, s, "/orders/_doc/"+doc, `{"sku":"`+doc+`"}`) // dynamic: text, not keyword
		}
	}
	post(t, ctx, p, "/orders/_refresh")
	post(t, ctx, s, "/orders/_refresh")

	r := Run(ctx, Options{Primary: target("primary", primary), Standby: target("standby", standby), Now: time.Now()})
	var text strings.Builder
	_ = r.WriteText(&text)
	t.Logf("report:\n%s", text.String())
	for _, want := range []struct {
		code     Code
		subject  string
		evidence string
	}{
		{ParityTemplateMissing, "index template audit-tpl", "audit-tpl"},
		{ParityTemplateMissing, "legacy template audit-legacy", "audit-legacy"},
		{ParityPipelineMissing, "ingest pipeline audit-pipe", "audit-pipe"},
		{ParityIndexMissing, "index only-primary", "on the primary"},
		{ParityDocLag, "index orders", "primary 3 docs, standby 1: 2 behind"},
		{ParityMappingDiffers, "index orders", "properties.sku"},
		{ParityAliasMissing, "alias orders-current", "orders"},
	} {
		f := find(r, want.code, want.subject)
		if f == nil || !strings.Contains(strings.Join(f.Evidence, "\n"), want.evidence) {
			t.Errorf("want %s on %q with %q; got %v", want.code, want.subject, want.evidence, f)
		}
	}
	for _, code := range []Code{ParityEngineDiffers, ParityVersionDiffers, ParitySameCluster} {
		if f := find(r, code, ""); f != nil {
			t.Errorf("unexpected %s: %v", code, f.Evidence)
		}
	}
	if idx := slices.IndexFunc(r.Findings, func(f Finding) bool { return f.Code == LiveMastersTooFew && f.Subject == "standby" }); idx < 0 {
		t.Errorf("the one-node standby is audited live too: %v", r.Codes())
	}
}

func unreachable(t *testing.T, c *testbed.Cluster) {
	dead := deadURL(t)
	r := Run(bounded(t), Options{Cluster: &Target{Name: "mixed", URLs: []string{dead, c.URLs()[0]},
		Options: esclient.Options{Timeout: 2 * time.Second}}, Now: time.Now()})
	if !r.Reached || find(r, NodeUnreachable, "mixed") == nil || find(r, ClusterUnreachable, "") != nil {
		t.Errorf("one dead URL: reached %v, %v", r.Reached, r.Codes())
	}
	r = Run(bounded(t), Options{Cluster: &Target{Name: "dead", URLs: []string{dead},
		Options: esclient.Options{Timeout: 2 * time.Second}}, Now: time.Now()})
	if r.Reached || find(r, ClusterUnreachable, "dead") == nil {
		t.Errorf("all dead: reached %v, %v", r.Reached, r.Codes())
	}
}

func deadURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "http://" + addr
}

func client(t *testing.T, c *testbed.Cluster) *esclient.Client {
	es, err := esclient.New(c.URLs(), esclient.Options{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(es.CloseIdleConnections)
	return es
}

func put(t *testing.T, ctx context.Context, es *esclient.Client, path, body string) {
	t.Helper()
	send(t, ctx, es, "PUT", path, body)
}

func post(t *testing.T, ctx context.Context, es *esclient.Client, path string) {
	t.Helper()
	send(t, ctx, es, "POST", path, "")
}

func send(t *testing.T, ctx context.Context, es *esclient.Client, method, path, body string) {
	t.Helper()
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	var status int
	var resp []byte
	var err error
	if rd != nil {
		status, resp, err = es.Do(ctx, method, path, rd)
	} else {
		status, resp, err = es.Do(ctx, method, path, nil)
	}
	if err != nil || status/100 != 2 {
		t.Fatalf("%s %s: %d %s %v", method, path, status, resp, err)
	}
}
